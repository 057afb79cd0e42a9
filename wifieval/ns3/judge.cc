// judge runs one Wi-Fi scenario written by the Go package wifieval in
// ns-3 and prints what every flow delivered.
//
// Input (--scenario=FILE), one record per line, '#' starts a comment:
//
//   judge 1                                 format version, first line
//   time WARMUP MEASURE                     seconds
//   node ID BAND X Y Z CH WIDTH P20 TXDBM ROLE BSS
//        BAND 2 (2.4 GHz, 802.11n) or 5 (5 GHz, 802.11ac); CH is ns-3's
//        number of the whole operating channel (its centre for wide
//        channels), P20 the index of the primary 20 MHz inside it; ROLE
//        ap or sta; stations associate with the ap of the same BSS.
//   loss A B DB                             symmetric path loss, same band
//   flow ID SRC DST MBPS                    constant-rate downlink
//
// Node and flow IDs are 0, 1, 2, ... in order. Output on stdout:
//
//   flow ID MBPS                            delivered in the window
//   end FLOWS
//
// Errors go to stderr with exit status 2 (bad input) or 1.
//
// Model: one MultiModelSpectrumChannel per band with a
// MatrixPropagationLossModel holding the given losses, SpectrumWifiPhy
// with two antennas and two spatial streams, ideal rate control (the
// best rate for the SNR the receiver last reported; Minstrel-HT on
// request, but in ns-3 3.37 with more than one BSS in a run only the
// first-installed AP's Minstrel reached full rate, the others about a
// tenth, even alone on their channel), packet sockets carrying 1400-byte frames (no IP/ARP), A-MPDU
// aggregation at ns-3's defaults.

#include "ns3/core-module.h"
#include "ns3/mobility-module.h"
#include "ns3/network-module.h"
#include "ns3/propagation-module.h"
#include "ns3/spectrum-module.h"
#include "ns3/wifi-module.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace ns3;

namespace
{

struct NodeSpec
{
    int band = 0;
    double x = 0, y = 0, z = 0;
    int channel = 0, width = 0, p20 = 0;
    double txDbm = 0;
    bool ap = false;
    int bss = 0;
};

struct LossSpec
{
    int a = 0, b = 0;
    double db = 0;
};

struct FlowSpec
{
    int src = 0, dst = 0;
    double mbps = 0;
};

struct Scenario
{
    double warmup = 1, measure = 2;
    std::vector<NodeSpec> nodes;
    std::vector<LossSpec> losses;
    std::vector<FlowSpec> flows;
};

[[noreturn]] void
BadInput(int line, const std::string& msg)
{
    std::cerr << "judge: scenario line " << line << ": " << msg << std::endl;
    std::exit(2);
}

// ReadScenario parses the scenario text; it exits on the first error.
Scenario
ReadScenario(std::istream& in)
{
    Scenario sc;
    std::string text;
    int line = 0;
    bool versioned = false;
    while (std::getline(in, text))
    {
        line++;
        auto hash = text.find('#');
        if (hash != std::string::npos)
        {
            text.erase(hash);
        }
        std::istringstream f(text);
        std::string kind;
        if (!(f >> kind))
        {
            continue;
        }
        if (!versioned)
        {
            int v = 0;
            if (kind != "judge" || !(f >> v) || v != 1)
            {
                BadInput(line, "want \"judge 1\" first");
            }
            versioned = true;
            continue;
        }
        if (kind == "time")
        {
            if (!(f >> sc.warmup >> sc.measure) || sc.warmup < 0 || sc.measure <= 0)
            {
                BadInput(line, "time wants WARMUP >= 0 and MEASURE > 0");
            }
        }
        else if (kind == "node")
        {
            NodeSpec n;
            int id = 0;
            std::string role;
            if (!(f >> id >> n.band >> n.x >> n.y >> n.z >> n.channel >> n.width >> n.p20 >>
                  n.txDbm >> role >> n.bss))
            {
                BadInput(line, "node wants ID BAND X Y Z CH WIDTH P20 TXDBM ROLE BSS");
            }
            if (id != static_cast<int>(sc.nodes.size()))
            {
                BadInput(line, "node IDs must be 0, 1, ... in order");
            }
            if (n.band != 2 && n.band != 5)
            {
                BadInput(line, "band must be 2 or 5");
            }
            if (role != "ap" && role != "sta")
            {
                BadInput(line, "role must be ap or sta");
            }
            n.ap = role == "ap";
            sc.nodes.push_back(n);
        }
        else if (kind == "loss")
        {
            LossSpec l;
            if (!(f >> l.a >> l.b >> l.db))
            {
                BadInput(line, "loss wants A B DB");
            }
            int n = sc.nodes.size();
            if (l.a < 0 || l.b < 0 || l.a >= n || l.b >= n || l.a == l.b)
            {
                BadInput(line, "loss between unknown or equal nodes");
            }
            if (sc.nodes[l.a].band != sc.nodes[l.b].band)
            {
                BadInput(line, "loss between nodes of different bands");
            }
            sc.losses.push_back(l);
        }
        else if (kind == "flow")
        {
            FlowSpec fl;
            int id = 0;
            if (!(f >> id >> fl.src >> fl.dst >> fl.mbps) || fl.mbps <= 0)
            {
                BadInput(line, "flow wants ID SRC DST MBPS>0");
            }
            int n = sc.nodes.size();
            if (id != static_cast<int>(sc.flows.size()))
            {
                BadInput(line, "flow IDs must be 0, 1, ... in order");
            }
            if (fl.src < 0 || fl.dst < 0 || fl.src >= n || fl.dst >= n ||
                sc.nodes[fl.src].bss != sc.nodes[fl.dst].bss || !sc.nodes[fl.src].ap)
            {
                BadInput(line, "a flow goes from an ap to a station of its BSS");
            }
            sc.flows.push_back(fl);
        }
        else
        {
            BadInput(line, "unknown record " + kind);
        }
    }
    if (!versioned)
    {
        BadInput(line, "empty scenario");
    }
    return sc;
}

// Received bytes per flow inside the measured window.
std::vector<uint64_t> g_rxBytes;
bool g_measuring = false;

void
OnRx(uint32_t flow, Ptr<const Packet> p, const Address&)
{
    if (g_measuring)
    {
        g_rxBytes[flow] += p->GetSize();
    }
}

void
SetMeasuring(bool on)
{
    g_measuring = on;
}

std::string
ChannelSettings(const NodeSpec& n)
{
    std::ostringstream s;
    s << "{" << n.channel << ", " << n.width << ", " << (n.band == 2 ? "BAND_2_4GHZ" : "BAND_5GHZ")
      << ", " << n.p20 << "}";
    return s.str();
}

Ptr<MultiModelSpectrumChannel>
NewChannel(Ptr<MatrixPropagationLossModel> loss, double maxLossDb)
{
    auto ch = CreateObject<MultiModelSpectrumChannel>();
    ch->AddPropagationLossModel(loss);
    ch->SetPropagationDelayModel(CreateObject<ConstantSpeedPropagationDelayModel>());
    ch->SetAttribute("MaxLossDb", DoubleValue(maxLossDb));
    return ch;
}

} // namespace

int
main(int argc, char* argv[])
{
    std::string path;
    std::string rate = "ideal";
    uint32_t run = 1;
    double hearDbm = -92;
    CommandLine cmd(__FILE__);
    cmd.AddValue("scenario", "scenario file written by wifieval", path);
    cmd.AddValue("run", "RngRun: equal runs of one scenario give equal results", run);
    cmd.AddValue("rate", "rate control: ideal (default) or minstrel", rate);
    cmd.AddValue("hear",
                 "weakest signal (dBm, from the strongest transmitter) delivered to a receiver",
                 hearDbm);
    cmd.Parse(argc, argv);
    if (path.empty())
    {
        std::cerr << "judge: --scenario=FILE is required" << std::endl;
        return 2;
    }
    if (rate != "minstrel" && rate != "ideal")
    {
        std::cerr << "judge: --rate must be minstrel or ideal" << std::endl;
        return 2;
    }
    std::ifstream in(path);
    if (!in)
    {
        std::cerr << "judge: cannot open " << path << std::endl;
        return 1;
    }
    Scenario sc = ReadScenario(in);

    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(run);

    // Signals weaker than hearDbm even from the strongest transmitter are
    // not delivered at all: far below carrier sense, near the noise floor,
    // and each delivery costs simulation time.
    double maxTx = 0;
    for (const auto& n : sc.nodes)
    {
        maxTx = std::max(maxTx, n.txDbm);
    }
    std::map<int, Ptr<MatrixPropagationLossModel>> loss;
    std::map<int, Ptr<MultiModelSpectrumChannel>> channel;
    for (int band : {2, 5})
    {
        loss[band] = CreateObject<MatrixPropagationLossModel>();
        loss[band]->SetDefaultLoss(1000);
        channel[band] = NewChannel(loss[band], maxTx - hearDbm);
    }

    NodeContainer nodes;
    nodes.Create(sc.nodes.size());
    std::vector<Ptr<WifiNetDevice>> devs(sc.nodes.size());
    NetDeviceContainer all;
    for (size_t i = 0; i < sc.nodes.size(); i++)
    {
        const NodeSpec& n = sc.nodes[i];
        auto mob = CreateObject<ConstantPositionMobilityModel>();
        mob->SetPosition(Vector(n.x, n.y, n.z));
        nodes.Get(i)->AggregateObject(mob);

        WifiHelper wifi;
        wifi.SetStandard(n.band == 2 ? WIFI_STANDARD_80211n : WIFI_STANDARD_80211ac);
        wifi.SetRemoteStationManager(rate == "ideal" ? "ns3::IdealWifiManager"
                                                     : "ns3::MinstrelHtWifiManager");
        SpectrumWifiPhyHelper phy;
        phy.SetChannel(channel[n.band]);
        phy.Set("ChannelSettings", StringValue(ChannelSettings(n)));
        phy.Set("TxPowerStart", DoubleValue(n.txDbm));
        phy.Set("TxPowerEnd", DoubleValue(n.txDbm));
        phy.Set("Antennas", UintegerValue(2));
        phy.Set("MaxSupportedTxSpatialStreams", UintegerValue(2));
        phy.Set("MaxSupportedRxSpatialStreams", UintegerValue(2));
        WifiMacHelper mac;
        Ssid ssid("bss" + std::to_string(n.bss));
        // A-MPDUs up to 64 KiB in 2.4 GHz (HT) and 256 KiB in 5 GHz (VHT):
        // about 4 ms at the top rates, as access points send.
        UintegerValue ampdu(n.band == 2 ? 65535 : 262143);
        if (n.ap)
        {
            mac.SetType("ns3::ApWifiMac", "Ssid", SsidValue(ssid), "BE_MaxAmpduSize", ampdu);
        }
        else
        {
            mac.SetType("ns3::StaWifiMac",
                        "Ssid",
                        SsidValue(ssid),
                        "ActiveProbing",
                        BooleanValue(false),
                        "BE_MaxAmpduSize",
                        ampdu);
        }
        NetDeviceContainer d = wifi.Install(phy, mac, nodes.Get(i));
        devs[i] = DynamicCast<WifiNetDevice>(d.Get(0));
        all.Add(d);
    }
    for (const auto& l : sc.losses)
    {
        loss[sc.nodes[l.a].band]->SetLoss(nodes.Get(l.a)->GetObject<MobilityModel>(),
                                          nodes.Get(l.b)->GetObject<MobilityModel>(),
                                          l.db,
                                          true);
    }
    WifiHelper().AssignStreams(all, 100);

    PacketSocketHelper sockets;
    sockets.Install(nodes);
    const uint32_t size = 1400;
    g_rxBytes.assign(sc.flows.size(), 0);
    for (size_t k = 0; k < sc.flows.size(); k++)
    {
        const FlowSpec& fl = sc.flows[k];
        PacketSocketAddress addr;
        addr.SetSingleDevice(devs[fl.src]->GetIfIndex());
        addr.SetPhysicalAddress(devs[fl.dst]->GetAddress());
        addr.SetProtocol(0x0800 + k);

        auto client = CreateObject<PacketSocketClient>();
        client->SetRemote(addr);
        client->SetAttribute("PacketSize", UintegerValue(size));
        client->SetAttribute("MaxPackets", UintegerValue(0));
        client->SetAttribute("Interval", TimeValue(Seconds(size * 8.0 / (fl.mbps * 1e6))));
        nodes.Get(fl.src)->AddApplication(client);
        // Staggered starts after association (beacons every 102.4 ms).
        client->SetStartTime(Seconds(0.2 + 0.1 * k / std::max<size_t>(1, sc.flows.size())));

        auto server = CreateObject<PacketSocketServer>();
        PacketSocketAddress local;
        local.SetSingleDevice(devs[fl.dst]->GetIfIndex());
        local.SetProtocol(0x0800 + k);
        server->SetLocal(local);
        nodes.Get(fl.dst)->AddApplication(server);
        server->SetStartTime(Seconds(0));
        server->TraceConnectWithoutContext("Rx", MakeBoundCallback(&OnRx, uint32_t(k)));
    }

    double end = sc.warmup + sc.measure;
    Simulator::Schedule(Seconds(sc.warmup), &SetMeasuring, true);
    Simulator::Schedule(Seconds(end), &SetMeasuring, false);
    Simulator::Stop(Seconds(end + 0.001));
    Simulator::Run();
    Simulator::Destroy();

    std::cout.setf(std::ios::fixed);
    std::cout.precision(4);
    for (size_t k = 0; k < sc.flows.size(); k++)
    {
        std::cout << "flow " << k << " " << g_rxBytes[k] * 8.0 / sc.measure / 1e6 << "\n";
    }
    std::cout << "end " << sc.flows.size() << std::endl;
    return 0;
}
