package azureemulator

import (
	"fmt"
	"net/http"
	"strings"
)

// The errors Azure Resource Manager and the two resource providers answer, with their
// codes and messages. docs/azure-facts.md says where each comes from and which are
// guesses.

func errMissingAuth() *armError {
	e := errorf(http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
	e.header = http.Header{"Www-Authenticate": {`Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`}}
	return e
}

func errBadToken() *armError {
	e := errorf(http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
	e.header = http.Header{"Www-Authenticate": {`Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The access token is invalid."`}}
	return e
}

func errMissingAPIVersion() *armError {
	return errorf(http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
}

// errBadAPIVersion refuses an api-version the provider does not serve: ARM answers
// NoRegisteredProviderFound for a well-formed date it has no registration of, and
// InvalidApiVersionParameter for anything else.
func errBadAPIVersion(p *provider, version, location string) *armError {
	supported := strings.Join(p.apiVersions, ", ")
	if !apiVersionShape.MatchString(version) {
		return errorf(http.StatusBadRequest, "InvalidApiVersionParameter", "The api-version '%s' is invalid. The supported versions are '%s'.", version, supported)
	}
	return errorf(http.StatusBadRequest, "NoRegisteredProviderFound",
		"No registered resource provider found for location '%s' and API version '%s' for type 'flexibleServers'. The supported api-versions are '%s'.",
		location, version, supported)
}

func errSubscriptionNotFound(sub string) *armError {
	return errorf(http.StatusNotFound, "SubscriptionNotFound", "The subscription '%s' could not be found.", sub)
}

func errResourceGroupNotFound(rg string) *armError {
	return errorf(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '%s' could not be found.", rg)
}

// errResourceNotFound is ARM's 404 for a resource: typ is the provider's type path, e.g.
// Microsoft.DBforPostgreSQL/flexibleServers/db1.
func errResourceNotFound(typ, rg string) *armError {
	return errorf(http.StatusNotFound, "ResourceNotFound",
		"The Resource '%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", typ, rg)
}

func errRequestContent(err error) *armError {
	return errorf(http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: '%v'.", err)
}

// errInvalidParameter is the providers' refusal of a property's value. The first sentence
// is theirs; the second names the emulator's rule.
func errInvalidParameter(target, format string, args ...any) *armError {
	e := errorf(http.StatusBadRequest, "InvalidParameterValue", "Invalid value given for parameter %s. %s", target, fmt.Sprintf(format, args...))
	e.Target = target
	return e
}

func errLocationRequired() *armError {
	return errorf(http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
}

// errLocationChange is ARM's refusal to move an existing resource by PUT.
func errLocationChange(name, rg, have, want string) *armError {
	return errorf(http.StatusConflict, "InvalidResourceLocation",
		"The resource '%s' already exists in location '%s' in resource group '%s'. A resource with the same name cannot be created in location '%s'. Please select a new resource name.",
		name, have, rg, want)
}

func errInvalidName(name string) *armError {
	return errorf(http.StatusBadRequest, "InvalidResourceName",
		"Resource name '%s' is invalid. The name can contain only lowercase letters, numbers and hyphens, must be 3 to 63 characters long, and cannot start or end with a hyphen.", name)
}

// errNameTaken refuses a server name another resource group or subscription holds: the
// name is a DNS name of Azure's, unique across Azure.
func errNameTaken(name string) *armError {
	return errorf(http.StatusConflict, "ServerNameAlreadyExists", "Specified server name '%s' is already used.", name)
}

func errVersion(p *provider, v string) *armError {
	e := errorf(http.StatusBadRequest, "InvalidParameterValue", "The value of the 'Version' should be in: [%s]. Got '%s'.", strings.Join(p.versions, ","), v)
	e.Target = "version"
	return e
}

func errPasswordNotComplex() *armError {
	e := errorf(http.StatusBadRequest, "PasswordNotComplex",
		"Password validation failed. The password does not meet policy requirements because it is not complex enough. "+
			"It must be 8 to 128 characters long, hold characters from three of these categories: uppercase letters, lowercase letters, digits, non-alphanumeric characters, "+
			"and not contain the login name or three or more consecutive alphanumeric characters of it.")
	e.Target = "administratorLoginPassword"
	return e
}

func errServerBusy(name string) *armError {
	return errorf(http.StatusConflict, "ServerIsBusy", "Cannot complete operation while server '%s' is busy processing another operation. Try again later.", name)
}

func errQuotaExceeded(sku string, usage, required int) *armError {
	return errorf(http.StatusConflict, "QuotaExceeded",
		"Operation could not be completed as it results in exceeding approved %s Cores quota. Additional details - Current Limit: %d, Current Usage: %d, Additional Required: %d, (Minimum) New Limit Required: %d. "+
			"Submit a request for Quota increase by specifying parameters listed in the 'Details' section for deployment to succeed.",
		sku, usage, usage, required, usage+required)
}

// errThrottled is ARM's subscription throttling, for a read, write or delete request.
func errThrottled(kind, sub string, retryAfter int) *armError {
	e := errorf(http.StatusTooManyRequests, "SubscriptionRequestsThrottled",
		"Number of '%s' requests for subscription '%s' actor 'emulator' exceeded. Please try again after '%d' seconds after additional tasks are completed.", kind, sub, retryAfter)
	e.retryAfter = retryAfter
	return e
}

func errUnavailable() *armError {
	return errorf(http.StatusServiceUnavailable, "ServiceUnavailable", "The service is temporarily unavailable. Please try again later.")
}

// errInternal is the providers' answer to a failure of their own, as a 500 or the error
// of a failed operation.
func errInternal() *armError {
	return errorf(http.StatusInternalServerError, "InternalServerError", "An unexpected error occured while processing the request. Tracking ID: '%s'", newUUID())
}

// Tag errors: ARM's checks of the tags of any tracked resource.
func errTooManyTags(n int) *armError {
	return errorf(http.StatusBadRequest, "InvalidTags", "Too many tags specified. Requested tag count - '%d'. Maximum number of tags allowed - '%d'.", n, maxTags)
}

func errTagNameEmpty() *armError {
	return errorf(http.StatusBadRequest, "InvalidTagName", "The tag name must be non-null, non-empty and non-whitespace only. Please provide an actual value.")
}

func errTagNameLength(names []string) *armError {
	return errorf(http.StatusBadRequest, "InvalidTagName",
		"Tag key too large. Following tag name '%s' exceeded the maximum length. Maximum allowed length for tag name - '%d' characters.", strings.Join(names, ", "), maxTagName)
}

func errTagNameCharacters(names []string) *armError {
	return errorf(http.StatusBadRequest, "InvalidTagNameCharacters",
		"The tag names '%s' have reserved characters '<,>,%%,&,\\,?,/' or control characters.", strings.Join(names, ", "))
}

func errTagValueLength(values []string) *armError {
	return errorf(http.StatusBadRequest, "InvalidTagValueLength",
		"Tag value too large. Following tag value '%s' exceeded the maximum length. Maximum allowed length for tag value - '%d' characters.", strings.Join(values, ", "), maxTagValue)
}
