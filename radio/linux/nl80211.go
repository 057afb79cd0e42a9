package linux

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/mdlayher/netlink"
	"github.com/uspmesh/uspmesh/radio"
)

// nl80211 commands and attributes used here (values of linux/nl80211.h).
const (
	cmdGetWiphy       = 1
	cmdSetWiphy       = 2
	cmdGetInterface   = 5
	cmdGetStation     = 17
	cmdGetScan        = 32
	cmdTriggerScan    = 33
	cmdNewScanResults = 34
	cmdScanAborted    = 35
	cmdGetSurvey      = 50
	// cmdChSwitchStartedNotify (NL80211_CMD_CH_SWITCH_STARTED_NOTIFY,
	// "mlme" group): an interface's channel switch began, on a station
	// because its AP announced one; the attributes are GET_INTERFACE's
	// (ifindex, frequency, width, centre).
	cmdChSwitchStartedNotify = 110
	attrWiphy                = 1
	attrWiphyName            = 2
	attrIfindex              = 3
	attrIfname               = 4
	attrIftype               = 5
	attrMAC                  = 6
	attrStaInfo              = 21
	attrWiphyBands           = 22
	attrWiphyFreq            = 38
	attrScanFrequencies      = 44
	attrScanSSIDs            = 45
	attrBSS                  = 47
	attrSSID                 = 52
	attrSurveyInfo           = 84
	attrTxPowerSetting       = 97
	attrTxPowerLevel         = 98
	attrScanFlags            = 158
	attrChannelWidth         = 159
	attrCenterFreq1          = 160
	attrSplitWiphyDump       = 174

	bandAttrFreqs      = 1
	bandAttrHTCapa     = 4
	bandAttrVHTCapa    = 8
	bandAttrIftypeData = 9
	iftypeAttrHEPhy    = 3
	iftypeAttrEHTPhy   = 9

	freqAttrFreq       = 1
	freqAttrDisabled   = 2
	freqAttrRadar      = 5
	freqAttrMaxTxPower = 6
	freqAttrDFSState   = 7 // enum nl80211_dfs_state

	dfsUnavailable = 1 // NL80211_DFS_UNAVAILABLE: radar, non-occupancy period

	surveyFreq     = 1
	surveyNoise    = 2
	surveyInUse    = 3
	surveyTime     = 4
	surveyTimeBusy = 5
	surveyTimeRx   = 7
	surveyTimeTx   = 8

	bssBSSID      = 1
	bssFrequency  = 2
	bssCapability = 5
	bssIEs        = 6
	bssSignalMBM  = 7

	staInactiveTime  = 1
	staRxBytes       = 2
	staTxBytes       = 3
	staSignal        = 7
	staTxBitrate     = 8
	staRxPackets     = 9
	staTxPackets     = 10
	staTxRetries     = 11
	staTxFailed      = 12
	staRxBitrate     = 14
	staConnectedTime = 16
	staRxBytes64     = 23
	staTxBytes64     = 24
	rateBitrate      = 1
	rateBitrate32    = 5

	txPowerFixed = 2
	scanFlagAP   = 1 << 2
	iftypeAP     = 3
	iftypeSTA    = 2
)

// errTruncated reports an attribute shorter than its type needs.
var errTruncated = errors.New("nl80211: truncated attribute")

// iface is one interface of GET_INTERFACE.
type iface struct {
	Index         int
	Name          string
	Type          int
	Wiphy         int
	MAC           net.HardwareAddr
	SSID          string
	FreqMHz       int
	Width         int // MHz, 0 when not operating
	CenterFreqMHz int
	TxPowerMBm    int
	hasTxPower    bool
}

// chanWidthMHz maps enum nl80211_chan_width to MHz.
func chanWidthMHz(w uint32) int {
	switch w {
	case 0, 1:
		return 20
	case 2:
		return 40
	case 3:
		return 80
	case 4, 5:
		return 160
	case 6:
		return 5
	case 7:
		return 10
	case 13:
		return 320
	}
	return 0
}

// decodeInterface decodes the attributes of a GET_INTERFACE reply.
func decodeInterface(b []byte) (iface, error) {
	var it iface
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return it, fmt.Errorf("nl80211: interface: %w", err)
	}
	for ad.Next() {
		switch ad.Type() {
		case attrIfindex:
			it.Index = int(ad.Uint32())
		case attrIfname:
			it.Name = ad.String()
		case attrIftype:
			it.Type = int(ad.Uint32())
		case attrWiphy:
			it.Wiphy = int(ad.Uint32())
		case attrMAC:
			it.MAC = net.HardwareAddr(append([]byte(nil), ad.Bytes()...))
		case attrSSID:
			it.SSID = string(ad.Bytes())
		case attrWiphyFreq:
			it.FreqMHz = int(ad.Uint32())
		case attrChannelWidth:
			it.Width = chanWidthMHz(ad.Uint32())
		case attrCenterFreq1:
			it.CenterFreqMHz = int(ad.Uint32())
		case attrTxPowerLevel:
			it.TxPowerMBm = int(int32(ad.Uint32()))
			it.hasTxPower = true
		}
	}
	if err := ad.Err(); err != nil {
		return iface{}, fmt.Errorf("nl80211: interface: %w", err)
	}
	return it, nil
}

// wiphy is what GET_WIPHY reports of one radio; split dumps arrive in
// several messages, merged by decodeWiphy.
type wiphy struct {
	Index int
	Name  string
	Bands map[radio.Band]*band
}

type band struct {
	Channels []radio.Channel
	HT40     bool
	VHT      bool
	VHT160   bool
	HE, EHT  bool
}

// decodeWiphy merges the attributes of one GET_WIPHY message into w.
func decodeWiphy(w *wiphy, b []byte) error {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return fmt.Errorf("nl80211: wiphy: %w", err)
	}
	if w.Bands == nil {
		w.Bands = map[radio.Band]*band{}
	}
	for ad.Next() {
		switch ad.Type() {
		case attrWiphy:
			w.Index = int(ad.Uint32())
		case attrWiphyName:
			w.Name = ad.String()
		case attrWiphyBands:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					bd := bandOf(nad.Type())
					if bd == "" {
						continue
					}
					if w.Bands[bd] == nil {
						w.Bands[bd] = &band{}
					}
					nad.Nested(func(bad *netlink.AttributeDecoder) error {
						return decodeBand(w.Bands[bd], bad)
					})
				}
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return fmt.Errorf("nl80211: wiphy: %w", err)
	}
	return nil
}

// bandOf maps enum nl80211_band to a radio.Band ("" for others).
func bandOf(t uint16) radio.Band {
	switch t {
	case 0:
		return radio.Band2G4
	case 1:
		return radio.Band5G
	case 3:
		return radio.Band6G
	}
	return ""
}

func decodeBand(bd *band, ad *netlink.AttributeDecoder) error {
	for ad.Next() {
		switch ad.Type() {
		case bandAttrHTCapa:
			bd.HT40 = ad.Uint16()&(1<<1) != 0
		case bandAttrVHTCapa:
			capa := ad.Uint32()
			bd.VHT = true
			bd.VHT160 = (capa>>2)&3 != 0
		case bandAttrIftypeData:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					nad.Nested(func(iad *netlink.AttributeDecoder) error {
						for iad.Next() {
							switch iad.Type() {
							case iftypeAttrHEPhy:
								bd.HE = true
							case iftypeAttrEHTPhy:
								bd.EHT = true
							}
						}
						return nil
					})
				}
				return nil
			})
		case bandAttrFreqs:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					nad.Nested(func(fad *netlink.AttributeDecoder) error {
						if ch, ok := decodeFreq(fad); ok {
							bd.Channels = append(bd.Channels, ch)
						}
						return fad.Err()
					})
				}
				return nil
			})
		}
	}
	return ad.Err()
}

func decodeFreq(ad *netlink.AttributeDecoder) (radio.Channel, bool) {
	var ch radio.Channel
	for ad.Next() {
		switch ad.Type() {
		case freqAttrFreq:
			ch.FreqMHz = int(ad.Uint32())
		case freqAttrDisabled:
			ch.Disabled = true
		case freqAttrRadar:
			ch.DFS = true
		case freqAttrMaxTxPower:
			ch.MaxPowerDBm = float64(ad.Uint32()) / 100
		case freqAttrDFSState:
			ch.Unavailable = ad.Uint32() == dfsUnavailable
		}
	}
	_, num, ok := radio.FreqChannel(ch.FreqMHz)
	ch.Number = num
	return ch, ok && ad.Err() == nil
}

// caps turns one band of a wiphy into radio.Capabilities.
func (bd *band) caps(b radio.Band) radio.Capabilities {
	c := radio.Capabilities{Band: b, Channels: append([]radio.Channel(nil), bd.Channels...), Widths: []int{20}}
	var std []string
	if b == radio.Band2G4 {
		std = append(std, "b", "g")
	} else {
		std = append(std, "a")
	}
	if bd.HT40 {
		c.Widths = append(c.Widths, 40)
	}
	std = append(std, "n")
	if bd.VHT && b != radio.Band2G4 {
		c.Widths = append(c.Widths, 80)
		if bd.VHT160 {
			c.Widths = append(c.Widths, 160)
		}
		std = append(std, "ac")
	}
	if bd.HE {
		std = append(std, "ax")
	}
	if bd.EHT {
		std = append(std, "be")
	}
	c.Standards = std
	for _, ch := range bd.Channels {
		if !ch.Disabled && ch.MaxPowerDBm > c.TxPowerMaxDBm {
			c.TxPowerMaxDBm = ch.MaxPowerDBm
		}
	}
	return c
}

// decodeSurvey decodes one GET_SURVEY reply; ok is false for messages
// without survey info.
func decodeSurvey(b []byte) (radio.SurveyEntry, bool, error) {
	var e radio.SurveyEntry
	found := false
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return e, false, fmt.Errorf("nl80211: survey: %w", err)
	}
	for ad.Next() {
		if ad.Type() != attrSurveyInfo {
			continue
		}
		found = true
		ad.Nested(func(nad *netlink.AttributeDecoder) error {
			for nad.Next() {
				switch nad.Type() {
				case surveyFreq:
					e.FreqMHz = int(nad.Uint32())
				case surveyNoise:
					e.NoiseDBm = int(nad.Int8())
				case surveyInUse:
					e.InUse = true
				case surveyTime:
					e.ActiveTime = time.Duration(nad.Uint64()) * time.Millisecond
				case surveyTimeBusy:
					e.BusyTime = time.Duration(nad.Uint64()) * time.Millisecond
				case surveyTimeRx:
					e.RxTime = time.Duration(nad.Uint64()) * time.Millisecond
				case surveyTimeTx:
					e.TxTime = time.Duration(nad.Uint64()) * time.Millisecond
				}
			}
			return nil
		})
	}
	if err := ad.Err(); err != nil {
		return radio.SurveyEntry{}, false, fmt.Errorf("nl80211: survey: %w", err)
	}
	_, e.Channel, _ = radio.FreqChannel(e.FreqMHz)
	return e, found && e.FreqMHz != 0, nil
}
