package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// xmlns is the namespace of every RDS Query API response.
const xmlns = "http://rds.amazonaws.com/doc/2014-10-31/"

// apiError is an RDS API error: the code the SDK maps to a typed error, a message, and the
// HTTP status AWS answers it with.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// newError builds an apiError with AWS's HTTP status for the code.
func newError(code, format string, args ...any) *apiError {
	return &apiError{Status: statusOf(code), Code: code, Message: fmt.Sprintf(format, args...)}
}

// errorStatus is the HTTP status RDS answers each error code with when it is not 400, as
// RDS's service model gives it (the "Errors" sections of the RDS API Reference, and
// botocore's rds/2014-10-31/service-2.json: "httpStatusCode"). A code's spelling says
// nothing of its status: DBClusterNotFoundFault and DBSubnetGroupNotFoundFault are 404
// like DBInstanceNotFound, while most other faults are 400. See
// docs/rds-emulator-errors.md.
var errorStatus = map[string]int{
	codeInstanceNotFound:          http.StatusNotFound,
	codeSnapshotNotFound:          http.StatusNotFound,
	codeClusterNotFound:           http.StatusNotFound,
	codeClusterSnapshotNotFound:   http.StatusNotFound,
	codeSubnetGroupNotFound:       http.StatusNotFound,
	codeParamGroupNotFound:        http.StatusNotFound,
	codeClusterParamGroupNotFound: http.StatusNotFound,
	codeMissingAuth:               http.StatusForbidden,
	codeClusterQuotaExceeded:      http.StatusForbidden,
	codeInternalFailure:           http.StatusInternalServerError,
	codeServiceUnavailable:        http.StatusServiceUnavailable,
}

// statusOf is the HTTP status of an error code: errorStatus's, else 400 (every other
// fault the emulator answers, and the common errors InvalidParameterValue,
// InvalidParameterCombination, MissingParameter, InvalidAction and Throttling).
func statusOf(code string) int {
	if s, ok := errorStatus[code]; ok {
		return s
	}
	return http.StatusBadRequest
}

// Error codes as AWS spells them.
const (
	codeInstanceAlreadyExists = "DBInstanceAlreadyExists"
	codeInstanceNotFound      = "DBInstanceNotFound"
	codeInvalidInstanceState  = "InvalidDBInstanceState"
	codeSnapshotAlreadyExists = "DBSnapshotAlreadyExists"
	codeSnapshotNotFound      = "DBSnapshotNotFound"
	codeInvalidSnapshotState  = "InvalidDBSnapshotState"
	codeInvalidValue          = "InvalidParameterValue"
	codeInvalidCombination    = "InvalidParameterCombination"
	codeMissingParameter      = "MissingParameter"
	codeInvalidAction         = "InvalidAction"
	codeThrottling            = "Throttling"
	codeInternalFailure       = "InternalFailure"
	codeMissingAuth           = "MissingAuthenticationToken"
	codeServiceUnavailable    = "ServiceUnavailable"
	codeSubnetGroupNotFound   = "DBSubnetGroupNotFoundFault"

	codeParamGroupNotFound      = "DBParameterGroupNotFound"
	codeParamGroupAlreadyExists = "DBParameterGroupAlreadyExists"
	codeInvalidParamGroupState  = "InvalidDBParameterGroupState"
)

// newRequestID returns a random request id shaped like AWS's.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// writeResult writes a success response: <ActionResponse><ActionResult>result...
func writeResult(w http.ResponseWriter, action, requestID string, result any) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, `<%sResponse xmlns="%s">`, action, xmlns)
	enc := xml.NewEncoder(w)
	if result == nil {
		result = struct{}{}
	}
	_ = enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	_ = enc.Flush()
	fmt.Fprintf(w, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, requestID, action)
}

// writeError writes an error response in the Query protocol's shape.
func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	type errorBody struct {
		Type    string
		Code    string
		Message string
	}
	type errorResponse struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     errorBody
		RequestID string `xml:"RequestId"`
	}
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	_ = xml.NewEncoder(w).Encode(errorResponse{
		Xmlns:     xmlns,
		Error:     errorBody{Type: kind, Code: e.Code, Message: e.Message},
		RequestID: requestID,
	})
}

// params reads the flattened Query-protocol parameters of one request.
type params struct{ url.Values }

// str returns a parameter, "" when absent.
func (p params) str(name string) string { return p.Get(name) }

// subject is the identifier a request concerns, for the call log: its instance, cluster,
// snapshot, tagged resource, DB parameter group, DB cluster parameter group or event source.
func (p params) subject() string {
	for _, name := range []string{"DBInstanceIdentifier", "DBClusterIdentifier", "DBSnapshotIdentifier", "DBClusterSnapshotIdentifier", "ResourceName", "DBParameterGroupName", "DBClusterParameterGroupName", "SourceIdentifier"} {
		if v := p.str(name); v != "" {
			return v
		}
	}
	return ""
}

// has reports whether a parameter is present.
func (p params) has(name string) bool { _, ok := p.Values[name]; return ok }

// integer returns an optional integer parameter.
func (p params) integer(name string) (*int, error) {
	if !p.has(name) {
		return nil, nil
	}
	n, err := strconv.Atoi(p.Get(name))
	if err != nil {
		return nil, newError(codeInvalidValue, "Invalid value for %s: %q is not an integer.", name, p.Get(name))
	}
	return &n, nil
}

// boolean returns an optional boolean parameter.
func (p params) boolean(name string) (*bool, error) {
	if !p.has(name) {
		return nil, nil
	}
	b, err := strconv.ParseBool(p.Get(name))
	if err != nil {
		return nil, newError(codeInvalidValue, "Invalid value for %s: %q is not a boolean.", name, p.Get(name))
	}
	return &b, nil
}

// timestampLayouts are the ISO 8601 forms DescribeEvents' times are read in: the SDKs'
// (2009-07-08T18:00:00.123Z) and the shorter ones the API Reference and CLI examples use
// (2009-07-08T18:00Z, 2022-03-13T22:00Z).
var timestampLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"}

// timestamp returns an optional ISO 8601 time parameter; one without a zone is UTC.
func (p params) timestamp(name string) (*time.Time, error) {
	if !p.has(name) {
		return nil, nil
	}
	v := p.Get(name)
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return &t, nil
		}
	}
	return nil, newError(codeInvalidValue, "Invalid value for %s: %q is not an ISO 8601 timestamp.", name, v)
}

// booleans reads the boolean parameters names, by name; one left out is nil.
func (p params) booleans(names ...string) (map[string]*bool, error) {
	out := make(map[string]*bool, len(names))
	for _, name := range names {
		b, err := p.boolean(name)
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

// list returns the members prefix.1, prefix.2, ... until the first gap.
func (p params) list(prefix string) []string {
	var out []string
	for i := 1; p.has(fmt.Sprintf("%s.%d", prefix, i)); i++ {
		out = append(out, p.Get(fmt.Sprintf("%s.%d", prefix, i)))
	}
	return out
}

// tags returns Tags.Tag.N.Key/Value.
func (p params) tags() []tag {
	var out []tag
	for i := 1; p.has(fmt.Sprintf("Tags.Tag.%d.Key", i)); i++ {
		out = append(out, tag{
			Key:   p.Get(fmt.Sprintf("Tags.Tag.%d.Key", i)),
			Value: p.Get(fmt.Sprintf("Tags.Tag.%d.Value", i)),
		})
	}
	return out
}

// filter is one Filters.Filter.N entry.
type filter struct {
	Name   string
	Values []string
}

// filters returns Filters.Filter.N.Name and .Values.Value.M.
func (p params) filters() []filter {
	var out []filter
	for i := 1; p.has(fmt.Sprintf("Filters.Filter.%d.Name", i)); i++ {
		out = append(out, filter{
			Name:   p.Get(fmt.Sprintf("Filters.Filter.%d.Name", i)),
			Values: p.list(fmt.Sprintf("Filters.Filter.%d.Values.Value", i)),
		})
	}
	return out
}

// maxRecords reads MaxRecords: 20-100, default 100, as AWS enforces.
func (p params) maxRecords() (int, error) {
	n, err := p.integer("MaxRecords")
	if err != nil {
		return 0, err
	}
	if n == nil {
		return 100, nil
	}
	if *n < 20 || *n > 100 {
		return 0, newError(codeInvalidValue, "Invalid value %d for MaxRecords. Must be between 20 and 100.", *n)
	}
	return *n, nil
}
