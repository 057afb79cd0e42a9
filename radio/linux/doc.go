// Package linux is the radio backend of a real access point: the kernel's
// nl80211 for what the radio is and sees, hostapd's control socket for
// channel switches (hostapd owns the AP, so only it may move the BSS), and
// rtnetlink for link state and counters.
//
// Data enters from three sockets. A generic netlink socket speaks nl80211:
// GET_INTERFACE (channel, width, tx power), GET_WIPHY split dumps
// (channels with DFS flags and regulatory power, widths, standards),
// GET_SURVEY, TRIGGER_SCAN with NL80211_SCAN_FLAG_AP and a frequency list
// followed by GET_SCAN, GET_STATION, and SET_WIPHY for fixed tx power. A
// hostapd control socket per AP interface (package radio/hostapd) sends
// STATUS and CHAN_SWITCH, and an ATTACHed one streams AP-STA-*, AP-CSA-*
// and DFS-* events. rtnetlink (github.com/vishvananda/netlink) reports the
// link's flags and counters. Everything leaves as the values of package
// radio.
//
// Library choice: github.com/mdlayher/genetlink with the attribute
// encoder and decoder of github.com/mdlayher/netlink. They are maintained,
// small, pure Go, and come with wire-level fakes (genltest) that the unit
// tests use. github.com/mdlayher/wifi, built on the same two, was not used:
// it is read-only (no SET_WIPHY, no TRIGGER_SCAN with flags, no split
// wiphy dump with DFS flags), so the backend would have needed genetlink
// for half its work anyway, and decoding nl80211 directly keeps one
// decoder per message, each fuzzed. vishvananda/netlink has no nl80211 and
// is used for rtnetlink only.
//
// A switch is asynchronous: Switch validates the channel and width against
// the wiphy's channels, sends CHAN_SWITCH with a CSA count and returns; a
// goroutine waits for AP-CSA-FINISHED (or DFS-CAC-COMPLETED on a channel
// that needs a channel availability check), confirms the new channel
// through nl80211 and delivers the result. A radio that carries the
// node's wireless backhaul (a station interface on its wiphy) follows its
// uplink AP's channel switches on its own, from nl80211's "mlme"
// notifications (follow.go).
package linux
