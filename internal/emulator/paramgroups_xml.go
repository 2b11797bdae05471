package emulator

import "github.com/matrixmind-cloud/aws-rds-operator/internal/engineparams"

// xmlParamGroup is a DBParameterGroup as CreateDBParameterGroup and
// DescribeDBParameterGroups show it.
type xmlParamGroup struct {
	DBParameterGroupName   string
	DBParameterGroupFamily string
	Description            string
	DBParameterGroupArn    string
}

// xmlClusterParamGroup is a DBClusterParameterGroup as CreateDBClusterParameterGroup and
// DescribeDBClusterParameterGroups show it.
type xmlClusterParamGroup struct {
	DBClusterParameterGroupName string
	DBParameterGroupFamily      string
	Description                 string
	DBClusterParameterGroupArn  string
}

// xmlParameter is one Parameter of DescribeDBParameters and DescribeDBClusterParameters.
type xmlParameter struct {
	ParameterName string
	// ParameterValue is the value set in the group; absent for a parameter at its engine
	// default.
	ParameterValue *string `xml:",omitempty"`
	Description    string  `xml:",omitempty"`
	Source         string
	ApplyType      string
	DataType       string
	AllowedValues  string `xml:",omitempty"`
	IsModifiable   bool
	ApplyMethod    string
}

// xmlParamGroupStatus is one DBParameterGroup of a DBInstance's DBParameterGroups.
type xmlParamGroupStatus struct {
	DBParameterGroupName string
	ParameterApplyStatus string
}

func (e *Emulator) paramGroupXML(g *paramGroup) xmlParamGroup {
	return xmlParamGroup{
		DBParameterGroupName:   g.Name,
		DBParameterGroupFamily: g.Family,
		Description:            g.Description,
		DBParameterGroupArn:    e.groupARN(instanceGroups{}, g.Name),
	}
}

func (e *Emulator) clusterParamGroupXML(g *paramGroup) xmlClusterParamGroup {
	return xmlClusterParamGroup{
		DBClusterParameterGroupName: g.Name,
		DBParameterGroupFamily:      g.Family,
		Description:                 g.Description,
		DBClusterParameterGroupArn:  e.groupARN(clusterGroups{}, g.Name),
	}
}

// parameterXML renders a catalog parameter of a group whose values and apply methods are
// given: Source user with its value when the group sets it, engine-default otherwise.
func parameterXML(p engineparams.Parameter, values, methods map[string]string) xmlParameter {
	x := xmlParameter{
		ParameterName: p.Name,
		Description:   p.Description,
		Source:        sourceEngineDefault,
		ApplyType:     "dynamic",
		DataType:      p.DataType,
		AllowedValues: p.AllowedValues,
		IsModifiable:  p.Modifiable,
		ApplyMethod:   applyPendingReboot,
	}
	if p.Static {
		x.ApplyType = "static"
	}
	if v, ok := values[p.Name]; ok {
		x.ParameterValue, x.Source, x.ApplyMethod = &v, sourceUser, methods[p.Name]
	}
	return x
}
