package tr181

import (
	"context"
	"fmt"

	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/value"
)

// permissionParams are the four permission strings of a
// Device.LocalAgent.ControllerTrust.Role.{i}.Permission.{i} row, each four
// characters in the fixed order "rwxn" with '-' for a denied right.
var permissionParams = []string{"Param", "Obj", "InstantiatedObj", "CommandEvent"}

// DenyAll is the default permission string: no right.
const DenyAll = "----"

// controllerTrust lays out Device.LocalAgent.ControllerTrust.: the Roles
// and their Permissions that decide what each Controller may do, and the
// Credentials that map certificate authorities to Roles.
func controllerTrust(ct *datamodel.ObjectDef) {
	str(ct, "UntrustedRole", 256).List().Ref().RW().Persist()
	str(ct, "BannedRole", 256).Ref().RW().Persist()
	str(ct, "SecuredRoles", 256).List().Ref().RW().Persist()
	ct.Param("TOFUAllowed", value.Boolean).RW().Persist()
	ct.Param("TOFUInactivityTimer", value.UnsignedInt).RW().Persist()

	role := table(ct.Table("Role", []string{"Alias"}, []string{"Name"}), datamodel.ObjAddDelete, true)
	alias(role)
	role.Param("Enable", value.Boolean).RW()
	str(role, "Name", 64).RW()

	perm := table(role.Table("Permission", []string{"Alias"}, []string{"Order"}), datamodel.ObjAddDelete, true)
	perm.Hook = checkPermission
	alias(perm)
	perm.Param("Enable", value.Boolean).RW()
	perm.Param("Order", value.UnsignedInt).RW()
	str(perm, "Targets", 0).List().RW()
	for _, name := range permissionParams {
		str(perm, name, 4).RW().Def(DenyAll)
	}

	cred := table(ct.Table("Credential", []string{"Alias"}, []string{"Credential"}), datamodel.ObjAddDelete, true)
	alias(cred)
	cred.Param("Enable", value.Boolean).RW()
	str(cred, "Role", 256).Ref().RW()
	str(cred, "Credential", 256).Ref().RW()
	str(cred, "AllowedUses", 0).RW().Enum("MTP-only", "MTP-and-USP", "MTP-and-broker").Def("MTP-only")
}

// checkPermission is the commit hook of Permission rows: it refuses (7012)
// a row whose permission strings are not four characters from "rwxn" in
// order, each possibly replaced by '-'.
func checkPermission(_ context.Context, ch *datamodel.ObjectChange) error {
	if ch.Deleted {
		return nil
	}
	for _, name := range permissionParams {
		if v := ch.Values(name); !ValidPermission(v) {
			return &datamodel.Error{Code: datamodel.CodeInvalidValue, Path: ch.Row.Path + name,
				Msg: fmt.Sprintf("permission %q is not 4 characters of r|-, w|-, x|-, n|- in that order", v)}
		}
	}
	return nil
}

// ValidPermission reports whether s is a TR-181 permission string: exactly
// "rwxn" with any of its letters replaced by '-'.
func ValidPermission(s string) bool {
	const rights = "rwxn"
	if len(s) != len(rights) {
		return false
	}
	for i := range len(rights) {
		if s[i] != rights[i] && s[i] != '-' {
			return false
		}
	}
	return true
}
