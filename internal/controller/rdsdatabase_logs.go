package controller

import (
	"context"
	"errors"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// ErrNotPlaced: the object has no cloud database yet, so it has nothing to read.
var ErrNotPlaced = errors.New("no cloud database yet")

// CloudOf returns the provider that serves db's cloud database and the database's
// identifier there, as db's status records its placement, for readers beside the
// reconciler (the log API). It changes nothing, db included.
func (r *RDSDatabaseReconciler) CloudOf(ctx context.Context, db *v1.RDSDatabase) (cloud.Provider, string, error) {
	id := naming.Identifier(db.Namespace, db.Name)
	switch {
	case db.Status.Provider == "" && db.Status.Cloud == nil:
		return nil, "", ErrNotPlaced
	case db.Status.Class == "":
		return r.Cloud, id, nil
	case r.Clouds == nil:
		return nil, "", fmt.Errorf("DatabaseClass %s cannot be served: this operator runs without DatabaseClass support", db.Status.Class)
	}
	class := &v1.DatabaseClass{}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: db.Status.Class}, class); err != nil {
		return nil, "", fmt.Errorf("read DatabaseClass %s: %w", db.Status.Class, err)
	}
	p, err := r.Clouds.For(ctx, class, r.Defaults)
	if err != nil {
		return nil, "", fmt.Errorf("DatabaseClass %s (provider %s) cannot be served: %w", db.Status.Class, class.Spec.Provider, err)
	}
	return p.Cloud, id, nil
}
