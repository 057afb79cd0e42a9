package linux

import (
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/mdlayher/netlink"
	"github.com/uspmesh/uspmesh/radio"
)

// decodeStation decodes one GET_STATION reply.
func decodeStation(b []byte) (radio.Station, error) {
	var st radio.Station
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return st, fmt.Errorf("nl80211: station: %w", err)
	}
	var rx32, tx32 uint64
	for ad.Next() {
		switch ad.Type() {
		case attrMAC:
			st.MAC = net.HardwareAddr(append([]byte(nil), ad.Bytes()...))
		case attrStaInfo:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					switch nad.Type() {
					case staInactiveTime:
						st.Inactive = time.Duration(nad.Uint32()) * time.Millisecond
					case staConnectedTime:
						st.Connected = time.Duration(nad.Uint32()) * time.Second
					case staRxBytes:
						rx32 = uint64(nad.Uint32())
					case staTxBytes:
						tx32 = uint64(nad.Uint32())
					case staRxBytes64:
						st.RxBytes = nad.Uint64()
					case staTxBytes64:
						st.TxBytes = nad.Uint64()
					case staRxPackets:
						st.RxPackets = uint64(nad.Uint32())
					case staTxPackets:
						st.TxPackets = uint64(nad.Uint32())
					case staTxRetries:
						st.TxRetries = uint64(nad.Uint32())
					case staTxFailed:
						st.TxFailed = uint64(nad.Uint32())
					case staSignal:
						st.SignalDBm = int(nad.Int8())
					case staTxBitrate:
						nad.Nested(func(rad *netlink.AttributeDecoder) error {
							st.TxBitrateKbps = decodeRate(rad)
							return nil
						})
					case staRxBitrate:
						nad.Nested(func(rad *netlink.AttributeDecoder) error {
							st.RxBitrateKbps = decodeRate(rad)
							return nil
						})
					}
				}
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return radio.Station{}, fmt.Errorf("nl80211: station: %w", err)
	}
	if st.RxBytes == 0 {
		st.RxBytes = rx32
	}
	if st.TxBytes == 0 {
		st.TxBytes = tx32
	}
	if len(st.MAC) != 6 {
		return radio.Station{}, fmt.Errorf("nl80211: station: no MAC address")
	}
	return st, nil
}

// decodeRate returns a rate_info's bitrate in kbit/s (nl80211 reports
// units of 100 kbit/s).
func decodeRate(ad *netlink.AttributeDecoder) int {
	var r16, r32 uint32
	for ad.Next() {
		switch ad.Type() {
		case rateBitrate:
			r16 = uint32(ad.Uint16())
		case rateBitrate32:
			r32 = ad.Uint32()
		}
	}
	if r32 == 0 {
		r32 = r16
	}
	return int(r32) * 100
}

// decodeBSS decodes one GET_SCAN reply; ok is false when it carries no BSS.
func decodeBSS(b []byte) (radio.BSS, bool, error) {
	bss := radio.BSS{Utilization: -1, Width: 20}
	found := false
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return bss, false, fmt.Errorf("nl80211: bss: %w", err)
	}
	var capability uint16
	var ies []byte
	for ad.Next() {
		if ad.Type() != attrBSS {
			continue
		}
		found = true
		ad.Nested(func(nad *netlink.AttributeDecoder) error {
			for nad.Next() {
				switch nad.Type() {
				case bssBSSID:
					bss.BSSID = net.HardwareAddr(append([]byte(nil), nad.Bytes()...))
				case bssFrequency:
					bss.FreqMHz = int(nad.Uint32())
				case bssSignalMBM:
					bss.SignalDBm = int(nad.Int32()) / 100
				case bssCapability:
					capability = nad.Uint16()
				case bssIEs:
					ies = append([]byte(nil), nad.Bytes()...)
				}
			}
			return nil
		})
	}
	if err := ad.Err(); err != nil {
		return radio.BSS{}, false, fmt.Errorf("nl80211: bss: %w", err)
	}
	if !found || len(bss.BSSID) != 6 {
		return radio.BSS{}, false, nil
	}
	_, bss.Channel, _ = radio.FreqChannel(bss.FreqMHz)
	applyIEs(&bss, ies, capability)
	return bss, true, nil
}

// Information element IDs (IEEE 802.11-2020 table 9-92).
const (
	ieSSID    = 0
	ieBSSLoad = 11
	ieRSN     = 48
	ieHTOper  = 61
	ieVHTOper = 192
	ieVendor  = 221
)

// applyIEs reads SSID, width, BSS Load and security from the elements.
func applyIEs(bss *radio.BSS, ies []byte, capability uint16) {
	var rsn, wpa bool
	var akms []uint32
	for len(ies) >= 2 {
		id, n := ies[0], int(ies[1])
		if len(ies) < 2+n {
			break
		}
		body := ies[2 : 2+n]
		ies = ies[2+n:]
		switch id {
		case ieSSID:
			bss.SSID = string(body)
		case ieBSSLoad:
			if len(body) >= 3 {
				bss.Utilization = int(body[2]) * 100 / 255
			}
		case ieHTOper:
			if len(body) >= 2 && body[1]&0x03 != 0 && body[1]&0x04 != 0 && bss.Width < 40 {
				bss.Width = 40
			}
		case ieVHTOper:
			if len(body) >= 3 {
				switch {
				case body[0] == 1 && body[2] != 0 && absDiff(body[1], body[2]) == 8:
					bss.Width = 160
				case body[0] == 1:
					bss.Width = 80
				case body[0] == 2 || body[0] == 3:
					bss.Width = 160
				}
			}
		case ieRSN:
			rsn = true
			akms = rsnAKMs(body)
		case ieVendor:
			if len(body) >= 4 && body[0] == 0x00 && body[1] == 0x50 && body[2] == 0xf2 && body[3] == 1 {
				wpa = true
			}
		}
	}
	bss.Security = security(rsn, wpa, akms, capability&0x10 != 0)
}

func absDiff(a, b byte) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// rsnAKMs returns the AKM suite selectors of an RSN element body.
func rsnAKMs(b []byte) []uint32 {
	// version(2) group cipher(4) pairwise count(2) + 4n, AKM count(2) + 4m
	if len(b) < 8 {
		return nil
	}
	np := int(binary.LittleEndian.Uint16(b[6:8]))
	off := 8 + 4*np
	if len(b) < off+2 {
		return nil
	}
	na := int(binary.LittleEndian.Uint16(b[off : off+2]))
	off += 2
	var out []uint32
	for i := 0; i < na && off+4 <= len(b); i++ {
		out = append(out, binary.BigEndian.Uint32(b[off:off+4]))
		off += 4
	}
	return out
}

// security spells the BSS's security as TR-181 SecurityModeEnabled does.
func security(rsn, wpa bool, akms []uint32, privacy bool) string {
	const oui = 0x000fac00
	var psk, sae, eap, eap192 bool
	for _, a := range akms {
		switch a {
		case oui | 2, oui | 6:
			psk = true
		case oui | 8, oui | 24:
			sae = true
		case oui | 1, oui | 3, oui | 5:
			eap = true
		case oui | 12, oui | 13:
			eap192 = true
		}
	}
	switch {
	case rsn && eap192:
		return "WPA3-Enterprise"
	case rsn && eap && wpa:
		return "WPA-WPA2-Enterprise"
	case rsn && eap:
		return "WPA2-Enterprise"
	case rsn && sae && psk:
		return "WPA2-WPA3-Personal"
	case rsn && sae:
		return "WPA3-Personal"
	case rsn && wpa:
		return "WPA-WPA2-Personal"
	case rsn:
		return "WPA2-Personal"
	case wpa:
		return "WPA-Personal"
	case privacy:
		return "WEP-128"
	}
	return "None"
}
