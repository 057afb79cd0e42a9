package linux

// link is the rtnetlink view of the AP interface.
type link struct {
	AdminUp, OperUp bool
}

// LinkStats are the AP interface's counters as rtnetlink reports them.
type LinkStats struct {
	RxBytes, TxBytes     uint64
	RxPackets, TxPackets uint64
	RxErrors, TxErrors   uint64
	RxDropped, TxDropped uint64
}
