// Package bulkdata runs TR-181 bulk data collection (Device.BulkData.):
// profiles that read a set of parameters on a schedule and send them, as
// a JSON or CSV report, to a collector over HTTP(S), through an MQTT
// client, or as the profile's Push! event to its Controller.
//
// Data enters as the Device.BulkData.Profile.{i} rows of a
// datamodel.Model (ReadProfiles parses them; the Runner follows their
// changes). Each collection is a Get through the model filtered by the
// read rights of the Controller that created the profile (Config.Access),
// so a report never holds a parameter its owner could not read. Reports
// leave as HTTP requests (net/http), through a Publisher the node
// implements (MQTT), or as a Push! event raised on the model, which the
// USP Notifier delivers. Reports that fail are retained, bounded by the
// profile's NumberOfRetainedFailedReports, a byte cap per profile and
// one for all profiles together (the oldest go first), and sent with
// the next one. Each profile's state (enabled, the last error) is read
// through Runner.State.
//
// Time comes from a clock.Clock, so tests move a fake clock; the package
// logs only through the Logger it is given.
package bulkdata
