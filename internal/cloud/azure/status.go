package azure

import (
	"errors"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Flexible servers' state words (properties.state) and the phase each means. The API
// version the SDK speaks lists Ready, Updating, Starting, Stopping, Stopped, Dropping and
// Disabled; later ones document Provisioning ("in the process of being created"),
// Restarting and Inaccessible, which the service reports whatever the version asked. A word not listed is taken as a change in progress: looked at again soon, relied
// on for nothing.
var phases = map[string]cloud.Phase{
	"":             cloud.PhaseCreating,
	"Provisioning": cloud.PhaseCreating,
	"Ready":        cloud.PhaseAvailable,
	"Updating":     cloud.PhaseChanging,
	"Starting":     cloud.PhaseChanging,
	"Restarting":   cloud.PhaseChanging,
	"Stopping":     cloud.PhaseChanging,
	"Stopped":      cloud.PhaseStopped,
	"Dropping":     cloud.PhaseDeleting,
	"Disabled":     cloud.PhaseFailed,
	// The key that encrypts the server cannot be used: a person must look.
	"Inaccessible": cloud.PhaseFailed,
}

func phaseOf(state string) cloud.Phase {
	if p, ok := phases[state]; ok {
		return p
	}
	return cloud.PhaseChanging
}

// Error codes of the flexible-server resource providers the provider acts on
// (docs/azure-facts.md).
var (
	// busyCodes: the server's state refuses the request for now; the same request succeeds
	// once the operation under way ends.
	busyCodes = map[string]bool{
		"ServerBusy": true, "ServerIsBusy": true, "ServerIsNotReady": true,
		"OperationConflict": true, "AnotherOperationInProgress": true, "Conflict": true,
	}
	// transientCodes: Azure failed or throttled the request whatever its status.
	transientCodes = map[string]bool{"ServiceBusy": true, "TooManyRequests": true, "InternalServerError": true}
	// noCapacityCodes: Azure refused to make a server over the subscription's vCore quota
	// (409 QuotaExceeded, docs/azure-facts.md); another place may make it.
	noCapacityCodes = map[string]bool{"QuotaExceeded": true}
)

const codeNotFound = "ResourceNotFound"

// wrap turns an error of the Azure SDK into a *cloud.Error carrying ARM's error code, so
// that the controller can name it without knowing the SDK. A request that got no answer
// (the network, a timeout) is transient.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return &cloud.Error{Op: op, Code: "RequestFailed", Message: err.Error(), Kind: cloud.ErrTransient}
	}
	ce := &cloud.Error{Op: op, Code: re.ErrorCode, Message: message(re)}
	switch {
	case re.StatusCode == http.StatusTooManyRequests, re.StatusCode >= http.StatusInternalServerError, transientCodes[re.ErrorCode]:
		ce.Kind = cloud.ErrTransient
	case busyCodes[re.ErrorCode]:
		ce.Kind = cloud.ErrBusy
	case noCapacityCodes[re.ErrorCode]:
		ce.Kind = cloud.ErrNoCapacity
	}
	if ce.Code == "" {
		ce.Code = http.StatusText(re.StatusCode)
	}
	return ce
}

// message is ARM's error message without the SDK's dump of the whole response, which
// would repeat the request's URL and headers in conditions.
func message(re *azcore.ResponseError) string {
	if re.RawResponse == nil {
		return re.Error()
	}
	var body struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := runtime.UnmarshalAsJSON(re.RawResponse, &body); err == nil && body.Error.Message != "" {
		return body.Error.Message
	}
	return http.StatusText(re.StatusCode)
}

// isNotFound reports whether err is ARM's answer for a resource that does not exist.
func isNotFound(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && (re.StatusCode == http.StatusNotFound || re.ErrorCode == codeNotFound)
}

// unsupported is the error for what flexible servers do not offer.
func unsupported(op, what string, field cloud.Field) error {
	return &cloud.Error{Op: op, Code: "Unsupported", Message: what, Kind: cloud.ErrUnsupported, Field: field}
}
