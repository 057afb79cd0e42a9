package tr181

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
)

// Populate fills m, a model of NewSchema, with a synthetic but plausible
// Wi-Fi estate, for benchmarks, tests and the simulator:
//
//   - radios rows of Device.WiFi.Radio, cycling through 2.4 GHz (channel 6),
//     5 GHz (channel 36) and 6 GHz (channel 37), named "radio0", "radio1" …;
//   - ssids rows of Device.WiFi.SSID spread over the radios in turn
//     (LowerLayers), with SSIDs "Home", "Guest", "IoT", then "SSID-4" …;
//   - one Device.WiFi.AccessPoint per SSID (WPA2-Personal), and under each
//     stationsPerAP AssociatedDevice rows with signal strengths from
//     -40 dBm down.
//
// MAC addresses and BSSIDs are locally administered (02:…) and unique
// within one call. Everything is written with internal writes in one
// transaction, so a failure leaves m unchanged. The rows' keys repeat from
// call to call, so a second call on the same model fails (7025).
func Populate(ctx context.Context, m *datamodel.Model, radios, ssids, stationsPerAP int) error {
	tx := m.Begin(ctx)
	defer tx.Rollback()
	p := populator{tx: tx}
	radioPaths := make([]string, radios)
	for i := range radios {
		radioPaths[i] = p.add("Device.WiFi.Radio.", radioValues(i))
	}
	for i := range ssids {
		var lower string
		if radios > 0 {
			lower = radioPaths[i%radios]
		}
		ssidPath := p.add("Device.WiFi.SSID.", ssidValues(i, lower))
		apPath := p.add("Device.WiFi.AccessPoint.", accessPointValues(ssidPath))
		for st := range stationsPerAP {
			p.add(apPath+".AssociatedDevice.", stationValues(i, st))
		}
	}
	if p.err != nil {
		return fmt.Errorf("tr181: populate: %w", p.err)
	}
	return tx.Commit()
}

// populator adds rows until the first error, which it keeps.
type populator struct {
	tx  *datamodel.Txn
	err error
}

// add creates a row in the table at tablePath and returns the row's path
// without trailing dot (a reference value), or "" after an error.
func (p *populator) add(tablePath string, kv []string) string {
	if p.err != nil {
		return ""
	}
	tp, err := path.Parse(tablePath)
	if err != nil {
		p.err = err
		return ""
	}
	tabs, err := p.tx.Tables(tp)
	if err != nil {
		p.err = err
		return ""
	}
	if len(tabs) != 1 {
		p.err = fmt.Errorf("%s names %d tables", tablePath, len(tabs))
		return ""
	}
	ups := make([]datamodel.ParamUpdate, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		ups = append(ups, datamodel.ParamUpdate{Param: kv[i], Value: kv[i+1], Required: true})
	}
	res, err := p.tx.Add(tabs[0], ups, datamodel.WriteOptions{Internal: true})
	if err != nil {
		p.err = err
		return ""
	}
	return strings.TrimSuffix(res.Path, ".")
}

// bandPreset is what radioValues writes for one band.
type bandPreset struct {
	band, standards, channels, channel, width string
}

var bandPresets = []bandPreset{
	{"2.4GHz", "b,g,n,ax", "1-13", "6", "20MHz"},
	{"5GHz", "a,n,ac,ax", "36,40,44,48,52,56,60,64,100,104,108,112,116,120,124,128,132,136,140", "36", "80MHz"},
	{"6GHz", "ax,be", "1-233", "37", "160MHz"},
}

func radioValues(i int) []string {
	b := bandPresets[i%len(bandPresets)]
	n := strconv.Itoa(i + 1)
	return []string{
		"Enable", "true", "Status", "Up", "Name", "radio" + strconv.Itoa(i),
		"MaxBitRate", "2402",
		"SupportedFrequencyBands", b.band, "OperatingFrequencyBand", b.band,
		"SupportedStandards", b.standards, "OperatingStandards", b.standards,
		"PossibleChannels", b.channels, "ChannelsInUse", b.channel, "Channel", b.channel,
		"AutoChannelSupported", "true", "AutoChannelEnable", "false",
		"OperatingChannelBandwidth", b.width, "CurrentOperatingChannelBandwidth", b.width,
		"TransmitPowerSupported", "-1,25,50,75,100", "TransmitPower", "100", "RegulatoryDomain", "DE ",
		"Stats.BytesSent", n + "000000", "Stats.BytesReceived", n + "500000",
		"Stats.PacketsSent", n + "0000", "Stats.PacketsReceived", n + "5000",
		"Stats.Noise", "-95",
	}
}

// ssidNames are the first SSIDs Populate gives; later ones are "SSID-<n>".
var ssidNames = []string{"Home", "Guest", "IoT"}

func ssidValues(i int, lower string) []string {
	name := fmt.Sprintf("SSID-%d", i+1)
	if i < len(ssidNames) {
		name = ssidNames[i]
	}
	bssid := fmt.Sprintf("02:00:00:00:%02X:%02X", i>>8&0xff, i&0xff)
	n := strconv.Itoa(i + 1)
	return []string{
		"Enable", "true", "Status", "Up", "LowerLayers", lower,
		"BSSID", bssid, "MACAddress", bssid, "SSID", name,
		"Stats.BytesSent", n + "00000", "Stats.BytesReceived", n + "50000",
		"Stats.PacketsSent", n + "000", "Stats.PacketsReceived", n + "500",
	}
}

func accessPointValues(ssidPath string) []string {
	return []string{
		"Enable", "true", "Status", "Enabled", "SSIDReference", ssidPath,
		"MaxAllowedAssociations", "64",
		"Security.ModeEnabled", "WPA2-Personal", "Security.KeyPassphrase", "mesh-passphrase",
	}
}

func stationValues(ap, st int) []string {
	signal := -40 - (st*3)%50
	return []string{
		"MACAddress", fmt.Sprintf("02:%02X:%02X:00:%02X:%02X", ap>>8&0xff, ap&0xff, st>>8&0xff, st&0xff),
		"OperatingStandard", "ax", "AuthenticationState", "true",
		"LastDataDownlinkRate", strconv.Itoa(6000 + 1000*st), "LastDataUplinkRate", strconv.Itoa(3000 + 500*st),
		"AssociationTime", "2025-01-01T00:00:00Z",
		"SignalStrength", strconv.Itoa(signal), "Noise", "-95", "SNR", strconv.Itoa(signal + 95),
		"Retransmissions", strconv.Itoa(st % 10), "Active", "true",
		"Stats.BytesSent", strconv.Itoa(1000 * (st + 1)), "Stats.BytesReceived", strconv.Itoa(2000 * (st + 1)),
		"Stats.PacketsSent", strconv.Itoa(10 * (st + 1)), "Stats.PacketsReceived", strconv.Itoa(20 * (st + 1)),
	}
}
