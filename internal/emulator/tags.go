package emulator

import "strings"

// resourceTags finds the tags of the instance, snapshot, cluster, cluster snapshot, DB
// parameter group or DB cluster parameter group an ARN names. It runs under the lock and
// returns a pointer so callers can change them.
func (e *Emulator) resourceTags(arn string) (*[]tag, error) {
	prefix := "arn:aws:rds:" + e.cfg.Region + ":" + e.cfg.AccountID + ":"
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		// RDS's words for an ARN that is not one of this region and account, or no ARN.
		return nil, newError(codeInvalidValue, "The specified resource name does not match an RDS resource in this region.")
	}
	kind, id, _ := strings.Cut(rest, ":")
	switch kind {
	case "db":
		in, ok := e.instances[id]
		if !ok {
			return nil, newError(codeInstanceNotFound, "DBInstance %s not found.", id)
		}
		return &in.Tags, nil
	case "snapshot":
		s, ok := e.snapshots[id]
		if !ok {
			return nil, newError(codeSnapshotNotFound, "DBSnapshot %s not found.", id)
		}
		return &s.Tags, nil
	case "cluster":
		c, ok := e.clusters[id]
		if !ok {
			return nil, newError(codeClusterNotFound, "DBCluster %s not found.", id)
		}
		return &c.Tags, nil
	case "pg":
		g, ok := e.paramGroupLocked(id)
		if !ok {
			return nil, errParamGroupNotFound(id)
		}
		return &g.Tags, nil
	case "cluster-pg":
		g, ok := e.groupLocked(clusterGroups{}, id)
		if !ok {
			return nil, errGroupNotFound(clusterGroups{}, id)
		}
		return &g.Tags, nil
	case "cluster-snapshot":
		s, ok := e.clusterSnapshots[id]
		if !ok {
			return nil, newError(codeClusterSnapshotNotFound, "DBClusterSnapshot %s not found.", id)
		}
		return &s.Tags, nil
	}
	return nil, newError(codeInvalidValue, "Unsupported resource type in %s", arn)
}

// snapshotTags are the tags a new snapshot of an instance or cluster starts with, as RDS
// gives them: the request's tags when it names any (they win over copying), else a copy of
// the source's tags as they are now when the source has CopyTagsToSnapshot, else none.
func snapshotTags(requested []tag, copyTags bool, source []tag) []tag {
	switch {
	case len(requested) > 0:
		return setTags(nil, requested)
	case copyTags:
		return setTags(nil, source)
	}
	return nil
}

// addTags answers AddTagsToResource.
func (e *Emulator) addTags(p params) (any, string, error) {
	return e.onTags(p, func(tags *[]tag) any {
		*tags = setTags(*tags, p.tags())
		return nil
	})
}

// removeTags answers RemoveTagsFromResource.
func (e *Emulator) removeTags(p params) (any, string, error) {
	return e.onTags(p, func(tags *[]tag) any {
		*tags = removeTags(*tags, p.list("TagKeys.member"))
		return nil
	})
}

// listTags answers ListTagsForResource.
func (e *Emulator) listTags(p params) (any, string, error) {
	return e.onTags(p, func(tags *[]tag) any {
		return struct {
			TagList []xmlTag `xml:"TagList>Tag"`
		}{xmlTags(*tags)}
	})
}

// onTags runs fn, under the lock, on the tags of the resource named by ResourceName, and
// answers with what fn returns.
func (e *Emulator) onTags(p params, fn func(tags *[]tag) any) (any, string, error) {
	arn := p.str("ResourceName")
	e.mu.Lock()
	defer e.mu.Unlock()
	tags, err := e.resourceTags(arn)
	if err != nil {
		return nil, arn, err
	}
	return fn(tags), arn, nil
}
