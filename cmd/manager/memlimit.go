package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// memoryLimitShare is the part of the container's memory limit the Go heap aims to stay
// under, leaving the rest for stacks, the runtime and the kernel's page cache of the binary.
const memoryLimitShare = 0.8

// cgroupMemoryMax is where cgroup v2 tells a container its memory limit.
const cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// setMemoryLimit gives the Go runtime a soft memory limit: flag when set (a quantity such as
// 80Mi), else memoryLimitShare of the container's limit, unless GOMEMLIMIT says otherwise.
// Without one, a burst (a thousand objects applied at once) grows the heap to twice what it
// holds before collecting, and a container limit set near the operator's real need kills
// it. It returns the limit set, 0 when none was.
func setMemoryLimit(flag string) (int64, error) {
	if flag != "" {
		q, err := resource.ParseQuantity(flag)
		if err != nil || q.Value() <= 0 {
			return 0, fmt.Errorf("--memory-limit %q is not a positive quantity such as 80Mi", flag)
		}
		debug.SetMemoryLimit(q.Value())
		return q.Value(), nil
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0, nil // the runtime read it already
	}
	raw, err := os.ReadFile(cgroupMemoryMax)
	if err != nil {
		return 0, nil
	}
	limit, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil || limit <= 0 { // "max": no limit
		return 0, nil
	}
	soft := int64(float64(limit) * memoryLimitShare)
	debug.SetMemoryLimit(soft)
	return soft, nil
}
