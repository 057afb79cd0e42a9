# Stand-ins for what OpenWrt's rc.common gives a procd init script, enough
# to run packaging/openwrt/uspmesh.init under busybox ash on a build
# machine: UCI (config_load reads $UCI_DIR/NAME; its syntax is shell
# words), jshn (json_*: strings, numbers, booleans, arrays, objects) and
# procd (every call is appended to $PROCD_LOG as a line).
# shellcheck shell=dash disable=SC2034,SC2086

config_load() {
	CONFIG_SECTIONS=""
	_n=0
	while IFS= read -r _line || [ -n "$_line" ]; do
		eval "set -- $_line"
		case "${1:-}" in
		config)
			_n=$((_n + 1))
			_sec=${3:-cfg$_n}
			CONFIG_SECTIONS="$CONFIG_SECTIONS $_sec"
			eval "CONFIG_${_sec}_TYPE=\$2"
			;;
		option) eval "CONFIG_${_sec}_$2=\$3" ;;
		list)
			eval "_i=\${CONFIG_${_sec}_$2_ITEMS:-0}"
			_i=$((_i + 1))
			eval "CONFIG_${_sec}_$2_ITEMS=$_i; CONFIG_${_sec}_$2_ITEM$_i=\$3"
			eval "CONFIG_${_sec}_$2=\"\${CONFIG_${_sec}_$2:+\$CONFIG_${_sec}_$2 }\$3\""
			;;
		esac
	done <"$UCI_DIR/$1"
}

config_get() {
	eval "_v=\${CONFIG_$2_$3:-\${4:-}}"
	eval "$1=\$_v"
}

config_get_bool() {
	config_get _b "$2" "$3" "${4:-}"
	case "$_b" in
	1 | on | true | yes | enabled) _b=1 ;;
	0 | off | false | no | disabled) _b=0 ;;
	*) _b=${4:-} ;;
	esac
	eval "$1=\$_b"
}

config_foreach() {
	local _cb="$1" _type="$2" _s _t
	shift 2
	for _s in $CONFIG_SECTIONS; do
		eval "_t=\$CONFIG_${_s}_TYPE"
		[ "$_t" = "$_type" ] && "$_cb" "$_s" "$@"
	done
	return 0
}

config_list_foreach() {
	local _s="$1" _o="$2" _cb="$3" _max _k _item
	shift 3
	eval "_max=\${CONFIG_${_s}_${_o}_ITEMS:-0}"
	_k=1
	while [ "$_k" -le "$_max" ]; do
		eval "_item=\$CONFIG_${_s}_${_o}_ITEM$_k"
		"$_cb" "$_item" "$@"
		_k=$((_k + 1))
	done
}

_json_str() {
	printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

_json_sep() {
	if [ "$_JF" = 1 ]; then _JF=0; else _J="$_J,"; fi
	[ "$_JT" = o ] && _J="$_J$(_json_str "$1"):"
	return 0
}

_json_push() {
	_JSTACK="$_JT$_JF $_JSTACK"
	_JT=$1
	_JF=1
}

_json_pop() {
	set -- $_JSTACK
	_JT=${1%?}
	_JF=${1#?}
	shift
	_JSTACK="$*"
}

json_init() { _J='{'; _JT=o; _JF=1; _JSTACK=''; }
json_add_string() { _json_sep "$1"; _J="$_J$(_json_str "$2")"; }
json_add_int() { _json_sep "$1"; _J="$_J$2"; }
json_add_boolean() {
	_json_sep "$1"
	if [ "$2" = 1 ]; then _J="${_J}true"; else _J="${_J}false"; fi
}
json_add_array() { _json_sep "$1"; _J="${_J}["; _json_push a; }
json_close_array() { _J="$_J]"; _json_pop; }
json_add_object() { _json_sep "$1"; _J="$_J{"; _json_push o; }
json_close_object() { _J="$_J}"; _json_pop; }
json_dump() { printf '%s}\n' "$_J"; }

_procd() { echo "$*" >>"$PROCD_LOG"; }
procd_open_instance() { _procd open_instance "$@"; }
procd_set_param() { _procd set_param "$@"; }
procd_close_instance() { _procd close_instance; }
procd_add_reload_trigger() { _procd reload_trigger "$@"; }
logger() { _procd logger "$@"; }
# rc.common's start under procd runs start_service.
start() { start_service "$@"; }
