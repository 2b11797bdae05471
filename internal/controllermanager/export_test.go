package controllermanager

// Pid is the process id of kube-controller-manager, for a look at its command line.
func (m *ControllerManager) Pid() int { return m.proc.Pid() }
