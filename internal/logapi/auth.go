package logapi

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// AuthenticationConfigMap is where kube-apiserver publishes how it authenticates to the API
// servers it proxies to (kube-system/extension-apiserver-authentication).
const AuthenticationConfigMap = "extension-apiserver-authentication"

// reloadEvery bounds how stale the front proxy's settings may be: a rotated front-proxy CA
// is trusted within a minute.
const reloadEvery = time.Minute

// frontProxy authenticates kube-apiserver's aggregation layer, and through it the user: the
// request must come with a client certificate of the front proxy's CA (and one of its
// allowed names), and then its headers say who the user is, as kube-apiserver authenticated
// them. A request without that certificate is refused whatever its headers say.
type frontProxy struct {
	reader client.Reader

	mu       sync.Mutex
	loaded   time.Time
	settings *proxySettings
}

// proxySettings are the requestheader-* keys of the ConfigMap.
type proxySettings struct {
	ca           *x509.CertPool
	allowedNames []string
	userHeaders  []string
	groupHeaders []string
	extraPrefix  []string
}

// user is whom kube-apiserver authenticated.
type user struct {
	name   string
	groups []string
	extra  map[string]authorizationv1.ExtraValue
}

// current returns the settings, read again when older than reloadEvery or when refresh is
// set (a certificate did not verify: the CA may just have rotated).
func (f *frontProxy) current(ctx context.Context, refresh bool) (*proxySettings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.settings != nil && time.Since(f.loaded) < reloadEvery && (!refresh || time.Since(f.loaded) < time.Second) {
		return f.settings, nil
	}
	cm := &corev1.ConfigMap{}
	if err := f.reader.Get(ctx, client.ObjectKey{Namespace: "kube-system", Name: AuthenticationConfigMap}, cm); err != nil {
		if f.settings != nil {
			return f.settings, nil // keep what was known: kube-apiserver may be restarting
		}
		return nil, fmt.Errorf("read kube-system/%s: %w", AuthenticationConfigMap, err)
	}
	s, err := parseSettings(cm.Data)
	if err != nil {
		return nil, err
	}
	f.settings, f.loaded = s, time.Now()
	return s, nil
}

func parseSettings(data map[string]string) (*proxySettings, error) {
	s := &proxySettings{ca: x509.NewCertPool()}
	if !s.ca.AppendCertsFromPEM([]byte(data["requestheader-client-ca-file"])) {
		return nil, fmt.Errorf("kube-system/%s has no requestheader-client-ca-file: kube-apiserver runs without --requestheader-client-ca-file, so it cannot proxy to aggregated APIs", AuthenticationConfigMap)
	}
	for key, into := range map[string]*[]string{
		"requestheader-allowed-names":        &s.allowedNames,
		"requestheader-username-headers":     &s.userHeaders,
		"requestheader-group-headers":        &s.groupHeaders,
		"requestheader-extra-headers-prefix": &s.extraPrefix,
	} {
		if v := data[key]; v != "" {
			if err := json.Unmarshal([]byte(v), into); err != nil {
				return nil, fmt.Errorf("kube-system/%s: %s: %w", AuthenticationConfigMap, key, err)
			}
		}
	}
	if len(s.userHeaders) == 0 {
		return nil, fmt.Errorf("kube-system/%s names no requestheader-username-headers", AuthenticationConfigMap)
	}
	return s, nil
}

// verifyProxy checks that r comes from kube-apiserver's front proxy.
func (f *frontProxy) verifyProxy(ctx context.Context, r *http.Request) error {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return errors.New("no client certificate: the log API is reached through kube-apiserver")
	}
	s, err := f.current(ctx, false)
	if err != nil {
		return err
	}
	if err := s.verify(r); err != nil {
		// The CA may have rotated since the last read.
		if s, err = f.current(ctx, true); err != nil {
			return err
		}
		return s.verify(r)
	}
	return nil
}

func (s *proxySettings) verify(r *http.Request) error {
	certs := r.TLS.PeerCertificates
	intermediates := x509.NewCertPool()
	for _, c := range certs[1:] {
		intermediates.AddCert(c)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: s.ca, Intermediates: intermediates, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("the client certificate is not the front proxy's: %w", err)
	}
	if len(s.allowedNames) > 0 && !slices.Contains(s.allowedNames, certs[0].Subject.CommonName) {
		return fmt.Errorf("the client certificate's name %q is not one of the front proxy's", certs[0].Subject.CommonName)
	}
	return nil
}

// userOf reads the user kube-apiserver authenticated from r's headers. Call it only once
// verifyProxy has accepted r.
func (f *frontProxy) userOf(ctx context.Context, r *http.Request) (user, error) {
	s, err := f.current(ctx, false)
	if err != nil {
		return user{}, err
	}
	var u user
	for _, h := range s.userHeaders {
		if u.name = r.Header.Get(h); u.name != "" {
			break
		}
	}
	if u.name == "" {
		return user{}, errors.New("the request names no user")
	}
	for _, h := range s.groupHeaders {
		u.groups = append(u.groups, r.Header.Values(h)...)
	}
	for name, values := range r.Header {
		for _, prefix := range s.extraPrefix {
			if len(name) > len(prefix) && strings.EqualFold(name[:len(prefix)], prefix) {
				key, err := url.PathUnescape(strings.ToLower(name[len(prefix):]))
				if err != nil {
					continue
				}
				if u.extra == nil {
					u.extra = map[string]authorizationv1.ExtraValue{}
				}
				u.extra[key] = append(u.extra[key], values...)
			}
		}
	}
	return u, nil
}

// allowed asks kube-apiserver whether u may get subresource of the object name in namespace:
// kube-apiserver asked already before proxying, and asking again keeps the log API safe
// from a request that reached it another way.
func allowed(ctx context.Context, c client.Client, u user, namespace, name, subresource string) (bool, string, error) {
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: u.name, Groups: u.groups, Extra: u.extra,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: namespace, Verb: "get", Group: Group, Version: Version,
			Resource: Resource, Subresource: subresource, Name: name,
		},
	}}
	if err := c.Create(ctx, review); err != nil {
		return false, "", fmt.Errorf("ask kube-apiserver whether %s may get %s/%s: %w", u.name, Resource, subresource, err)
	}
	return review.Status.Allowed, review.Status.Reason, nil
}
