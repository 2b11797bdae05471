package existing

// DumpJob is dumpJob, for the tests that run its script.
var DumpJob = (*Provider).dumpJob
