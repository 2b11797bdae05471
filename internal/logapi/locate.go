package logapi

import (
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controller"
)

// locate authorizes a request for subresource of the object name in namespace and finds the
// object's cloud database: its provider, its identifier and the user's name. When it
// cannot, it has answered the request and ok is false.
func (s *Server) locate(w http.ResponseWriter, r *http.Request, namespace, name, subresource string) (p cloud.Provider, id, userName string, ok bool) {
	ctx := r.Context()
	u, err := s.auth.userOf(ctx, r)
	if err != nil {
		writeStatus(w, http.StatusUnauthorized, metav1.StatusReasonUnauthorized, err.Error())
		return nil, "", "", false
	}
	allow, why, err := allowed(ctx, s.cfg.Client, u, namespace, name, subresource)
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, err.Error())
		return nil, "", "", false
	}
	if !allow {
		msg := fmt.Sprintf("%s.%s %q is forbidden: User %q cannot get resource %q in API group %q in the namespace %q",
			Resource, Group, name, u.name, Resource+"/"+subresource, Group, namespace)
		if why != "" {
			msg += ": " + why
		}
		writeStatus(w, http.StatusForbidden, metav1.StatusReasonForbidden, msg)
		return nil, "", "", false
	}
	db := &v1.RDSDatabase{}
	if err := s.cfg.Reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, db); err != nil {
		if apierrors.IsNotFound(err) {
			writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, fmt.Sprintf("rdsdatabases.%s %q not found", v1.GroupVersion.Group, name))
			return nil, "", "", false
		}
		writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, err.Error())
		return nil, "", "", false
	}
	p, id, err = s.cfg.Locate(ctx, db)
	if err != nil {
		if errors.Is(err, controller.ErrNotPlaced) {
			writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, fmt.Sprintf("RDSDatabase %s/%s has no cloud database yet, so no %s", namespace, name, subresource))
			return nil, "", "", false
		}
		writeStatus(w, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, err.Error())
		return nil, "", "", false
	}
	return p, id, u.name, true
}
