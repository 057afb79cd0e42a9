// Package datamodel is the TR-181 data-model engine of a USP Agent: the
// supported schema (objects, tables, parameters, commands, events), the
// instantiated tree, resolution of any USP path to what it names, validated
// and hook-guarded writes in transactions, change events, and persistence of
// persistent parameters and tables.
//
// Data enters as a Schema built once at start-up (see ObjectDef's builder
// methods), then through Model methods: reads (Resolve, Get, Instances) take
// a parsed path (package datamodel/path); writes go through a Txn (Add,
// Update, Delete) that is committed or rolled back as a whole. Data leaves as
// results of those calls, as Events delivered synchronously to listeners
// after each commit, and as the persisted state written through a Store.
//
// The package imports nothing else of uspmesh but its own sub-packages; the
// USP message layer maps its errors (every one carries a USP error code, see
// Error) onto protocol responses.
package datamodel
