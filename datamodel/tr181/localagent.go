package tr181

import (
	"context"
	"fmt"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// mtpProtocols are the MTPs TR-181 names; SupportedProtocols lists the one
// uspmesh implements. (TR-181 2.18 deleted CoAP from the enumeration; the
// reference agent still lists it, and it is this mesh's MTP.)
var mtpProtocols = []string{"CoAP", "STOMP", "WebSocket", "MQTT", "UDS"}

// notifTypes are the values of Device.LocalAgent.Subscription.{i}.NotifType.
var notifTypes = []string{"ValueChange", "ObjectCreation", "ObjectDeletion", "OperationComplete", "Event"}

// requestStatuses are the values of Device.LocalAgent.Request.{i}.Status.
var requestStatuses = []string{"Requested", "Active", "Canceling", "Canceled", "Success", "Error"}

func (b *builder) localAgent(la *datamodel.ObjectDef) {
	str(la, "EndpointID", 64).Def(b.cfg.EndpointID)
	str(la, "SoftwareVersion", 64).Def(b.cfg.SoftwareVersion)
	la.Param("UpTime", value.UnsignedInt).Live(b.uptime).Counter()
	str(la, "SupportedProtocols", 0).List().Enum(mtpProtocols...).Def(strings.Join(supportedMTPs, ","))
	str(la, "SupportedFingerprintAlgorithms", 0).List().
		Enum("SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512").Def("SHA-256")
	str(la, "AdvertisedDeviceSubtypes", 0).List().RW().Persist()
	atLeast(la.Param("MaxSubscriptionChangeAdoptionTime", value.UnsignedInt).RW().Persist().Def("5"), 5)

	la.Event("Periodic")
	la.Event("WakeUp")
	la.Event("TransferComplete",
		datamodel.Arg{Name: "Command", Type: value.String},
		datamodel.Arg{Name: "CommandKey", Type: value.String},
		datamodel.Arg{Name: "Requestor", Type: value.String},
		datamodel.Arg{Name: "TransferType", Type: value.String,
			Constraint: value.Constraint{Enum: []string{"Download", "Upload"}}},
		datamodel.Arg{Name: "Affected", Type: value.String},
		datamodel.Arg{Name: "TransferURL", Type: value.String},
		datamodel.Arg{Name: "StartTime", Type: value.DateTime},
		datamodel.Arg{Name: "CompleteTime", Type: value.DateTime},
		datamodel.Arg{Name: "FaultCode", Type: value.UnsignedInt},
		datamodel.Arg{Name: "FaultString", Type: value.String},
	)

	b.agentMTP(table(la.Table("MTP", []string{"Alias"}), datamodel.ObjAddDelete, true))
	b.controller(table(la.Table("Controller", []string{"Alias"}, []string{"EndpointID"}), datamodel.ObjAddDelete, true))
	b.subscription(table(la.Table("Subscription", []string{"Alias"}, []string{"Recipient", "ID"}), datamodel.ObjAddDelete, true))
	request(table(la.Table("Request", []string{"Alias"}), datamodel.ObjReadOnly, false))
	controllerTrust(la.Object("ControllerTrust"))
}

// agentMTP lays out Device.LocalAgent.MTP.{i}., the Agent's own MTPs.
func (b *builder) agentMTP(m *datamodel.ObjectDef) {
	alias(m)
	m.Param("Enable", value.Boolean).RW()
	str(m, "Status", 0).Enum("Up", "Down", "Error").Live(b.live("Status", "Down"))
	// Protocol's enumeration refers to SupportedProtocols.
	str(m, "Protocol", 0).RW().Enum(supportedMTPs...).Def("CoAP")
	m.Param("EnableMDNS", value.Boolean).RW().Def("true")
	coap := m.Object("CoAP")
	str(coap, "Interfaces", 256).List().Ref().RW()
	coap.Param("Port", value.UnsignedInt).RW().Def("5683").Range(1, 65535)
	str(coap, "Path", 1024).RW()
	coap.Param("EnableEncryption", value.Boolean).RW().Def("true")
	b.agentMTPKinds(m)
}

// controller lays out Device.LocalAgent.Controller.{i}., the Controllers
// this Agent knows.
func (b *builder) controller(c *datamodel.ObjectDef) {
	alias(c)
	str(c, "EndpointID", 64).RW()
	str(c, "ControllerCode", 128).RW()
	str(c, "ProvisioningCode", 64).RW()
	c.Param("Enable", value.Boolean).RW()
	str(c, "AssignedRole", 256).List().Ref().RW()
	str(c, "InheritedRole", 256).List().Ref()
	str(c, "Credential", 256).Ref().RW()
	atLeast(c.Param("PeriodicNotifInterval", value.UnsignedInt).RW().Def("86400"), 1)
	c.Param("PeriodicNotifTime", value.DateTime).RW()
	c.Param("USPNotifRetryMinimumWaitInterval", value.UnsignedInt).RW().Def("5").Range(1, 65535)
	c.Param("USPNotifRetryIntervalMultiplier", value.UnsignedInt).RW().Def("2000").Range(1000, 65535)
	c.Param("OnBoardingComplete", value.Boolean).RW()
	c.Param("OnBoardingRestartTime", value.UnsignedInt).RW()
	c.Command("SendOnBoardRequest", false, b.sendOnBoardRequest)

	bp := table(c.Table("BootParameter", []string{"Alias"}, []string{"ParameterName"}), datamodel.ObjAddDelete, true)
	alias(bp)
	bp.Param("Enable", value.Boolean).RW()
	str(bp, "ParameterName", 256).RW()

	e2e := c.Object("E2ESession")
	str(e2e, "SessionMode", 0).RW().Enum("Require", "Allow", "Forbid").Def("Allow")
	e2e.Param("SessionExpiration", value.UnsignedInt).RW()
	e2e.Param("MaxUSPRecordSize", value.UnsignedInt).RW()
	str(e2e, "PayloadSecurity", 0).RW().Enum("Plaintext", "TLS12").Def("Plaintext")
	str(e2e, "Status", 0).Def("Down").Enum("Up", "Negotiating", "Down", "Error")

	mtp := table(c.Table("MTP", []string{"Alias"}, []string{"Protocol"}), datamodel.ObjAddDelete, true)
	alias(mtp)
	mtp.Param("Enable", value.Boolean).RW()
	str(mtp, "Protocol", 0).RW().Enum(mtpProtocols...).Def("CoAP")
	mtp.Param("Order", value.UnsignedInt).RW()
	coap := mtp.Object("CoAP")
	str(coap, "Host", 256).RW()
	coap.Param("Port", value.UnsignedInt).RW().Def("5683").Range(1, 65535)
	str(coap, "Path", 1024).RW()
	coap.Param("EnableEncryption", value.Boolean).RW().Def("true")
	b.controllerMTPKinds(mtp)
}

// sendOnBoardRequest runs Controller.{i}.SendOnBoardRequest() through
// Config.SendOnBoardRequest.
func (b *builder) sendOnBoardRequest(ctx context.Context, row datamodel.Row, _ map[string]string) (map[string]string, error) {
	ctrl := strings.TrimSuffix(row.Path, ".")
	if b.cfg.SendOnBoardRequest == nil {
		return nil, &datamodel.Error{Code: datamodel.CodeCommandFailure, Path: row.Path + "SendOnBoardRequest()",
			Msg: "OnBoardRequest is not available on this node"}
	}
	if err := b.cfg.SendOnBoardRequest(ctx, ctrl); err != nil {
		return nil, fmt.Errorf("%sSendOnBoardRequest(): %w", row.Path, err)
	}
	return nil, nil
}

// subscription lays out Device.LocalAgent.Subscription.{i}.: Recipient,
// ID and CreationDate are filled in by the Agent when a row is added.
func (b *builder) subscription(s *datamodel.ObjectDef) {
	// A subscription that is not Persistent ends with the process: it is
	// never saved (TR-181: Persistent "false" rows do not survive a
	// reboot), sparing the flash a write per leader change.
	s.Transient = func(v func(string) string) bool { return v("Persistent") != "true" && v("Persistent") != "1" }
	alias(s)
	s.Param("Enable", value.Boolean).RW()
	rec := str(s, "Recipient", 256).Ref().Persist()
	rec.AutoValue = b.recipient
	id := str(s, "ID", 64).Once()
	id.AutoValue = b.subscriptionID
	created := s.Param("CreationDate", value.DateTime).Persist()
	created.AutoValue = func(context.Context, datamodel.Row) string { return dateTime(b.cfg.Now()) }
	str(s, "NotifType", 0).RW().Enum(notifTypes...)
	str(s, "ReferenceList", 256).List().RW()
	s.Param("Persistent", value.Boolean).RW()
	s.Param("TimeToLive", value.UnsignedInt).RW()
	s.Param("NotifRetry", value.Boolean).RW()
	s.Param("NotifExpiration", value.UnsignedInt).RW()
}

// recipient is the AutoValue of Subscription.{i}.Recipient: the Controller
// whose request adds the row.
func (b *builder) recipient(ctx context.Context, _ datamodel.Row) string {
	if b.cfg.Recipient == nil {
		return ""
	}
	return b.cfg.Recipient(ctx)
}

// subscriptionID is the AutoValue of Subscription.{i}.ID:
// "<instance>-<creation time in hex Unix seconds>". Instance numbers are
// never reused (they persist), so IDs differ between the rows of one
// Agent; the time part keeps them apart across a factory reset.
func (b *builder) subscriptionID(_ context.Context, row datamodel.Row) string {
	var inst uint32
	if n := len(row.Instances); n > 0 {
		inst = row.Instances[n-1]
	}
	return fmt.Sprintf("%d-%X", inst, b.cfg.Now().Unix())
}

// request lays out Device.LocalAgent.Request.{i}., one row per running
// asynchronous command, created and removed by the USP layer.
func request(r *datamodel.ObjectDef) {
	alias(r)
	str(r, "Originator", 64)
	str(r, "Command", 256)
	str(r, "CommandKey", 256)
	str(r, "Status", 0).Def("Requested").Enum(requestStatuses...)
	// Cancel() is carried out by the USP layer, which owns the running
	// command's context; the schema only declares it.
	r.Command("Cancel", false, nil)
}
