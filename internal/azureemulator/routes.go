package azureemulator

import (
	"net/http"
	"strings"
)

// route is one API method of one provider: a path template whose fixed words ARM compares
// case-insensitively, and whose {words} are path values.
type route struct {
	method   string
	segments []string
	// name is the method and template, with the provider's namespace, as the call log
	// counts calls by it.
	name     string
	provider *provider
	handle   handlerFunc
}

// Path templates; NS stands for the provider's namespace.
const (
	serversPath   = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/NS/flexibleServers"
	serverPath    = serversPath + "/{serverName}"
	operationPath = "/subscriptions/{subscriptionId}/providers/NS/locations/{location}"
)

// apiRoutes are the methods the emulator serves, for both providers.
func apiRoutes() []*route {
	methods := []struct {
		method, template string
		handle           handlerFunc
	}{
		{http.MethodPut, serverPath, (*Emulator).putServer},
		{http.MethodGet, serverPath, (*Emulator).getServer},
		{http.MethodPatch, serverPath, (*Emulator).patchServer},
		{http.MethodDelete, serverPath, (*Emulator).deleteServer},
		{http.MethodPost, serverPath + "/restart", (*Emulator).restartServer},
		{http.MethodGet, serversPath, (*Emulator).listServers},
		{http.MethodGet, "/subscriptions/{subscriptionId}/providers/NS/flexibleServers", (*Emulator).listServers},
		{http.MethodGet, operationPath + "/azureAsyncOperation/{operationId}", (*Emulator).getOperationStatus},
		{http.MethodGet, operationPath + "/operationResults/{operationId}", (*Emulator).getOperationResult},
		{http.MethodPut, serverPath + "/databases/{databaseName}", (*Emulator).putDatabase},
		{http.MethodGet, serverPath + "/databases/{databaseName}", (*Emulator).getDatabase},
		{http.MethodDelete, serverPath + "/databases/{databaseName}", (*Emulator).deleteDatabase},
		{http.MethodGet, serverPath + "/databases", (*Emulator).listDatabases},
		{http.MethodPut, serverPath + "/firewallRules/{firewallRuleName}", (*Emulator).putFirewallRule},
		{http.MethodGet, serverPath + "/firewallRules/{firewallRuleName}", (*Emulator).getFirewallRule},
		{http.MethodDelete, serverPath + "/firewallRules/{firewallRuleName}", (*Emulator).deleteFirewallRule},
		{http.MethodGet, serverPath + "/firewallRules", (*Emulator).listFirewallRules},
	}
	var out []*route
	for _, p := range providers {
		for _, m := range methods {
			path := strings.Replace(m.template, "NS", p.namespace, 1)
			out = append(out, &route{
				method:   m.method,
				segments: strings.Split(strings.TrimPrefix(path, "/"), "/"),
				name:     m.method + " " + path,
				provider: p,
				handle:   m.handle,
			})
		}
	}
	return out
}

// match finds the route of a request and its path values. When a route's path matches but
// none for the method, allowed is true (405, not 404).
func match(routes []*route, method, path string) (rt *route, vars map[string]string, allowed bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, r := range routes {
		v, ok := r.matchPath(segs)
		if !ok {
			continue
		}
		if r.method == method {
			return r, v, true
		}
		allowed = true
	}
	return nil, nil, allowed
}

func (r *route) matchPath(segs []string) (map[string]string, bool) {
	if len(segs) != len(r.segments) {
		return nil, false
	}
	vars := map[string]string{}
	for i, s := range r.segments {
		if name, ok := strings.CutPrefix(s, "{"); ok {
			if segs[i] == "" {
				return nil, false
			}
			vars[strings.TrimSuffix(name, "}")] = segs[i]
			continue
		}
		if !strings.EqualFold(s, segs[i]) {
			return nil, false
		}
	}
	return vars, true
}
