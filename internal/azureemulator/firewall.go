package azureemulator

import (
	"bytes"
	"maps"
	"net"
	"net/http"
	"slices"
)

// Firewall rules are stored and echoed: every server's database server takes connections
// from its own loopback network whatever the rules say.

func firewallRuleView(s *server, name string, r FirewallRuleProperties) *FirewallRule {
	return &FirewallRule{
		ID: s.id() + "/firewallRules/" + name, Name: name, Type: s.p.resourceType() + "/firewallRules",
		Properties: &r,
	}
}

// putFirewallRule creates or replaces a rule, under an operation that has ended by the
// time it answers.
func (e *Emulator) putFirewallRule(c *call) (*reply, error) {
	var req FirewallRule
	if err := decodeBody(c.r, &req); err != nil {
		return nil, err
	}
	if req.Properties == nil {
		return nil, errInvalidParameter("properties", "The start and end IP addresses are required.")
	}
	rule := *req.Properties
	start, end := net.ParseIP(rule.StartIPAddress).To4(), net.ParseIP(rule.EndIPAddress).To4()
	if start == nil || end == nil {
		return nil, errInvalidParameter("startIpAddress", "The start and end IP addresses must be IPv4 addresses.")
	}
	if bytes.Compare(start, end) > 0 {
		return nil, errInvalidParameter("startIpAddress", "The start IP address must not come after the end IP address.")
	}
	name := c.v("firewallRuleName")
	return e.onParent(c, func(s *server) (*reply, error) {
		if err := s.busy(); err != nil {
			return nil, err
		}
		status := http.StatusCreated
		if _, ok := s.firewall[name]; ok {
			status = http.StatusOK
		}
		s.firewall[name] = rule
		op := e.newChildOperation(s, func() (int, any) { return http.StatusOK, firewallRuleView(s, name, rule) })
		e.finish(op, nil, nil)
		return &reply{status: status, header: op.headers(c), body: firewallRuleView(s, name, rule)}, nil
	})
}

// onParent runs fn under mu with the server a child resource's request names.
func (e *Emulator) onParent(c *call, fn func(*server) (*reply, error)) (*reply, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.parent(c)
	if err != nil {
		return nil, err
	}
	return fn(s)
}

func (e *Emulator) getFirewallRule(c *call) (*reply, error) {
	return e.onParent(c, func(s *server) (*reply, error) {
		name := c.v("firewallRuleName")
		rule, ok := s.firewall[name]
		if !ok {
			return nil, errResourceNotFound(s.p.resourceType()+"/"+s.name+"/firewallRules/"+name, s.rg)
		}
		return &reply{status: http.StatusOK, body: firewallRuleView(s, name, rule)}, nil
	})
}

// deleteFirewallRule removes a rule; one that does not exist answers 204.
func (e *Emulator) deleteFirewallRule(c *call) (*reply, error) {
	return e.onParent(c, func(s *server) (*reply, error) {
		name := c.v("firewallRuleName")
		if _, ok := s.firewall[name]; !ok {
			return &reply{status: http.StatusNoContent}, nil
		}
		if err := s.busy(); err != nil {
			return nil, err
		}
		delete(s.firewall, name)
		op := e.newChildOperation(s, func() (int, any) { return http.StatusNoContent, nil })
		e.finish(op, nil, nil)
		return &reply{status: http.StatusAccepted, header: op.headers(c)}, nil
	})
}

func (e *Emulator) listFirewallRules(c *call) (*reply, error) {
	return e.onParent(c, func(s *server) (*reply, error) {
		out := &FirewallRuleList{Value: []*FirewallRule{}}
		for _, name := range slices.Sorted(maps.Keys(s.firewall)) {
			out.Value = append(out.Value, firewallRuleView(s, name, s.firewall[name]))
		}
		return &reply{status: http.StatusOK, body: out}, nil
	})
}
