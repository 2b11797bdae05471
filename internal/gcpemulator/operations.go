package gcpemulator

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
)

// Operation types and statuses, as the API names them.
const (
	opCreate         = "CREATE"
	opUpdate         = "UPDATE"
	opDelete         = "DELETE"
	opRestoreVolume  = "RESTORE_VOLUME"
	opBackupVolume   = "BACKUP_VOLUME"
	opDeleteBackup   = "DELETE_BACKUP"
	opCreateUser     = "CREATE_USER"
	opUpdateUser     = "UPDATE_USER"
	opDeleteUser     = "DELETE_USER"
	opCreateDatabase = "CREATE_DATABASE"
	opDeleteDatabase = "DELETE_DATABASE"
	opExport         = "EXPORT"
	opRestart        = "RESTART"

	statusPending = "PENDING"
	statusRunning = "RUNNING"
	statusDone    = "DONE"
)

// operation is an Operation and the instance it concerns.
type operation struct {
	wire     Operation
	instance instanceKey
}

// newOperation records a PENDING operation on an instance. It runs under mu.
func (e *Emulator) newOperation(r *http.Request, key instanceKey, opType string) *operation {
	name := newOperationName()
	base := baseURL(r)
	op := &operation{
		instance: key,
		wire: Operation{
			Kind:          "sql#operation",
			Name:          name,
			OperationType: opType,
			Status:        statusPending,
			User:          "emulator@cloudsql.local",
			InsertTime:    timestamp(e.cfg.Now()),
			TargetID:      key.name,
			TargetProject: key.project,
			TargetLink:    base + "/v1/projects/" + key.project + "/instances/" + key.name,
			SelfLink:      base + "/v1/projects/" + key.project + "/operations/" + name,
		},
	}
	e.operations[name] = op
	e.opOrder = append(e.opOrder, op)
	return op
}

// startOperation moves an operation to RUNNING. It takes mu.
func (e *Emulator) startOperation(op *operation) {
	e.mu.Lock()
	defer e.mu.Unlock()
	op.wire.Status = statusRunning
	op.wire.StartTime = timestamp(e.cfg.Now())
}

// finishOperation moves an operation to DONE, with an error when err is not nil, and
// frees its instance for the next operation. It runs under mu.
func (e *Emulator) finishOperation(op *operation, code string, err error) {
	now := e.cfg.Now()
	if op.wire.StartTime == "" {
		op.wire.StartTime = timestamp(now)
	}
	op.wire.Status = statusDone
	op.wire.EndTime = timestamp(now)
	if err != nil {
		op.wire.Error = &OperationErrors{Kind: "sql#operationErrors", Errors: []OperationError{{Kind: "sql#operationError", Code: code, Message: err.Error()}}}
	}
	if in, ok := e.instances[op.instance]; ok && in.busy == op {
		in.busy = nil
	}
}

// view returns a copy of the operation's resource. It runs under mu.
func (op *operation) view() *Operation {
	w := op.wire
	if w.Error != nil {
		errs := *w.Error
		errs.Errors = append([]OperationError(nil), errs.Errors...)
		w.Error = &errs
	}
	return &w
}

func (e *Emulator) getOperation(r *http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	op, ok := e.operations[r.PathValue("operation")]
	if !ok || op.instance.project != r.PathValue("project") {
		return nil, errorf(http.StatusNotFound, "operationDoesNotExist", "The Cloud SQL operation does not exist.")
	}
	return op.view(), nil
}

// listOperations lists the project's operations, newest first, optionally of one
// instance (the instance parameter).
func (e *Emulator) listOperations(r *http.Request) (any, error) {
	project, name := r.PathValue("project"), r.URL.Query().Get("instance")
	e.mu.Lock()
	defer e.mu.Unlock()
	var items []*Operation
	for i := len(e.opOrder) - 1; i >= 0; i-- {
		op := e.opOrder[i]
		if op.instance.project == project && (name == "" || op.instance.name == name) {
			items = append(items, op.view())
		}
	}
	page, next, err := paginate(r, items)
	if err != nil {
		return nil, err
	}
	return &listResponse{Kind: "sql#operationsList", Items: page, NextPageToken: next}, nil
}

// paginate cuts items by the maxResults and pageToken parameters. The token is the
// offset of the next page (opaque to clients).
func paginate[T any](r *http.Request, items []T) ([]T, string, error) {
	q := r.URL.Query()
	start := 0
	if t := q.Get("pageToken"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", errInvalid("Invalid page token.")
		}
		start = n
	}
	size := 500
	if m := q.Get("maxResults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return nil, "", errInvalid("Invalid maxResults.")
		}
		if n > 0 && n < size {
			size = n
		}
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

// newOperationName returns a random UUID, the form of Cloud SQL's operation names.
func newOperationName() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
