#!/usr/bin/env python3
"""Checks generated xDS resources against the protoc-gen-validate (PGV) rules Envoy's API declares.

Envoy validates every resource it receives against the `(validate.rules)` field options of its .proto files and
NACKs what breaks one. The descriptors in the `xds-protos` package (its *_pb2 modules) carry those options, so
this script can apply the same rules before Envoy does: "accepted by meshd, then NACKed by Envoy" becomes a test
failure that names the resource, the field path and the rule.

Input (a file, or stdin with `-`): one JSON object per line,
    {"source": "<where it came from>", "name": "<resource name>", "any": "<base64 of a google.protobuf.Any>"}
Every Any is unpacked by its type URL; nested Anys (`typed_config`) are unpacked and checked too.

Rules applied (PGV semantics; proto3 scalars without presence are checked at their default value, message fields
only when set, oneof members only when selected):
  message: required, skip; oneof (validate.required); message-level (validate.disabled)/(validate.ignored)
  string: const, len, min_len, max_len, len_bytes, min_bytes, max_bytes, pattern, prefix, suffix, contains,
          not_contains, in, not_in, email, hostname, ip, ipv4, ipv6, uri, uri_ref, address, uuid,
          well_known_regex (HTTP_HEADER_NAME, HTTP_HEADER_VALUE, strict or not), ignore_empty
  bytes: const, len, min_len, max_len, pattern, prefix, suffix, contains, in, not_in, ip, ipv4, ipv6
  numbers (all int, uint, sint, fixed, float, double): const, lt, lte, gt, gte (with PGV's exclusive ranges),
          in, not_in, ignore_empty; wrapper types (UInt32Value...) take the scalar rules on their value
  bool: const; enum: const, defined_only, in, not_in
  repeated: min_items, max_items, unique, items, ignore_empty; map: min_pairs, max_pairs, no_sparse, keys, values
  any: required, in, not_in; duration: required, const, lt, lte, gt, gte, in, not_in; timestamp: required
Also: every Duration is well formed (protobuf's range and sign rules), every Any names a known type, and no
field Envoy marks deprecated is set (Envoy refuses those under `envoy.features.fail_on_any_deprecated_feature`).

Usage: check-pgv.py FILE [--max-report N]
Exit status: 0 when every resource satisfies every rule, 1 on any violation, 2 when the check cannot run.
"""

import argparse
import base64
import importlib
import ipaddress
import json
import pkgutil
import re
import sys
import uuid
from urllib.parse import urlparse

from google.protobuf import any_pb2, descriptor, symbol_database

try:
    from validate import validate_pb2
except ImportError as error:  # pragma: no cover - the venv lacks xds-protos
    sys.stderr.write(f"error: cannot import validate_pb2 from xds-protos: {error}\n")
    sys.exit(2)

FD = descriptor.FieldDescriptor
WRAPPERS = {
    "google.protobuf.DoubleValue": "double", "google.protobuf.FloatValue": "float",
    "google.protobuf.Int64Value": "int64", "google.protobuf.UInt64Value": "uint64",
    "google.protobuf.Int32Value": "int32", "google.protobuf.UInt32Value": "uint32",
    "google.protobuf.BoolValue": "bool", "google.protobuf.StringValue": "string",
    "google.protobuf.BytesValue": "bytes",
}
NUMERIC_RULES = ("float", "double", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
                 "fixed32", "fixed64", "sfixed32", "sfixed64")
MAX_DURATION_SECONDS = 315_576_000_000
HEADER_NAME = re.compile(r"^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$")
HEADER_VALUE = re.compile(r"^[^\u0000-\u0008\u000A-\u001F\u007F]*$")
HEADER_LOOSE = re.compile(r"^[^\u0000\u000A\u000D]*$")
HOSTNAME_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$")


def load_all_modules():
    """Imports every envoy/xds/udpa *_pb2 module, so any type URL Envoy knows resolves in the default pool."""
    for package_name in ("envoy", "xds", "udpa", "validate"):
        try:
            package = importlib.import_module(package_name)
        except ImportError:
            continue
        for module in pkgutil.walk_packages(package.__path__, package_name + "."):
            if module.name.endswith("_pb2"):
                try:
                    importlib.import_module(module.name)
                except Exception:  # a module that fails to import leaves its types unknown, reported if used
                    pass


class Checker:
    def __init__(self):
        self.database = symbol_database.Default()
        self.violations = []
        self.messages = 0
        self.constraints = 0
        self.rules_seen = set()

    # -- entry points -------------------------------------------------------------------------------------

    def check_any(self, any_message, where):
        """Unpacks `any_message` by its type URL and checks the message; an unknown type is a violation."""
        type_name = any_message.type_url.split("/")[-1]
        try:
            message_class = self.database.GetSymbol(type_name)
        except KeyError:
            self.report(where, "any.type", f"unknown type {any_message.type_url!r}")
            return
        message = message_class()
        try:
            message.ParseFromString(any_message.value)
        except Exception as error:
            self.report(where, "any.decode", f"{type_name} does not decode: {error}")
            return
        self.check_message(message, where)

    def check_message(self, message, where):
        self.messages += 1
        descriptor_ = message.DESCRIPTOR
        if descriptor_.full_name == "google.protobuf.Any":
            if message.type_url:
                self.check_any(message, f"{where}<{message.type_url.split('.')[-1]}>")
            return
        if descriptor_.full_name == "google.protobuf.Duration":
            self.check_duration_form(message, where)
            return
        options = descriptor_.GetOptions()
        disabled = options.Extensions[validate_pb2.disabled] or options.Extensions[validate_pb2.ignored]
        if not disabled:
            for oneof in descriptor_.oneofs:
                if oneof.GetOptions().Extensions[validate_pb2.required]:
                    self.count("oneof.required")
                    if message.WhichOneof(oneof.name) is None:
                        self.report(f"{where}.{oneof.name}", "oneof.required", "no field of the oneof is set")
        for field in descriptor_.fields:
            path = f"{where}.{field.name}"
            self.check_deprecated(message, field, path)
            rules = field.GetOptions().Extensions[validate_pb2.rules] if not disabled else None
            if rules is not None and not rules.ListFields():
                rules = None
            self.check_field(message, field, rules, path)

    # -- fields -------------------------------------------------------------------------------------------

    def check_field(self, message, field, rules, path):
        is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
        if field.is_repeated:
            values = getattr(message, field.name)
            if is_map:
                self.check_map(field, values, rules, path)
            else:
                self.check_repeated(field, list(values), rules, path)
            return
        present = message.HasField(field.name) if field.has_presence else True
        if field.containing_oneof is not None and not present:
            return  # an unselected oneof member (or an absent proto3 optional): none of its rules apply
        if field.type == FD.TYPE_MESSAGE:
            value = getattr(message, field.name) if present else None
            self.check_message_value(field, value, rules, path)
            return
        if not present:
            return  # an unselected oneof member or an absent optional: its rules do not apply
        if rules is not None:
            self.check_scalar(field, getattr(message, field.name), rules, path)

    def check_message_value(self, field, value, rules, path):
        """A singular message field; `value` is None when unset."""
        kind = rules.WhichOneof("type") if rules is not None else None
        if rules is not None and rules.HasField("message"):
            if rules.message.required:
                self.count("message.required")
                if value is None:
                    self.report(path, "message.required", "required field is not set")
            if rules.message.skip:
                return
        if value is None:
            if kind in ("any", "duration", "timestamp") and getattr(rules, kind).required:
                self.count(f"{kind}.required")
                self.report(path, f"{kind}.required", "required field is not set")
            return
        full_name = field.message_type.full_name
        if kind is not None and full_name in WRAPPERS:
            self.check_scalar_rules(kind, getattr(rules, kind), value.value, path, field=None)
        elif kind == "any":
            self.check_any_rules(rules.any, value, path)
        elif kind == "duration":
            self.check_duration_rules(rules.duration, value, path)
        self.check_message(value, path)

    def check_repeated(self, field, values, rules, path):
        item_rules = None
        if rules is not None and rules.HasField("repeated"):
            repeated = rules.repeated
            if not (repeated.ignore_empty and not values):
                if repeated.HasField("min_items"):
                    self.count("repeated.min_items")
                    if len(values) < repeated.min_items:
                        self.report(path, "repeated.min_items", f"{len(values)} items, at least {repeated.min_items} needed")
                if repeated.HasField("max_items"):
                    self.count("repeated.max_items")
                    if len(values) > repeated.max_items:
                        self.report(path, "repeated.max_items", f"{len(values)} items, at most {repeated.max_items}")
                if repeated.unique:
                    self.count("repeated.unique")
                    keys = [v.SerializeToString(deterministic=True) if field.type == FD.TYPE_MESSAGE else v for v in values]
                    if len(set(keys)) != len(keys):
                        self.report(path, "repeated.unique", "items repeat")
            if repeated.HasField("items"):
                item_rules = repeated.items
        for index, value in enumerate(values):
            item_path = f"{path}[{index}]"
            if field.type == FD.TYPE_MESSAGE:
                self.check_message_value(field, value, item_rules, item_path)
            elif item_rules is not None:
                self.check_scalar(field, value, item_rules, item_path)

    def check_map(self, field, entries, rules, path):
        key_field = field.message_type.fields_by_name["key"]
        value_field = field.message_type.fields_by_name["value"]
        key_rules = value_rules = None
        if rules is not None and rules.HasField("map"):
            map_rules = rules.map
            if not (map_rules.ignore_empty and len(entries) == 0):
                if map_rules.HasField("min_pairs"):
                    self.count("map.min_pairs")
                    if len(entries) < map_rules.min_pairs:
                        self.report(path, "map.min_pairs", f"{len(entries)} pairs, at least {map_rules.min_pairs} needed")
                if map_rules.HasField("max_pairs"):
                    self.count("map.max_pairs")
                    if len(entries) > map_rules.max_pairs:
                        self.report(path, "map.max_pairs", f"{len(entries)} pairs, at most {map_rules.max_pairs}")
                if map_rules.no_sparse and value_field.type == FD.TYPE_MESSAGE:
                    self.count("map.no_sparse")
                    for key in entries:
                        if not entries[key].ListFields() and entries[key].ByteSize() == 0:
                            self.report(f"{path}[{key!r}]", "map.no_sparse", "a key without a value")
            key_rules = map_rules.keys if map_rules.HasField("keys") else None
            value_rules = map_rules.values if map_rules.HasField("values") else None
        for key in sorted(entries, key=str):
            entry_path = f"{path}[{key!r}]"
            if key_rules is not None:
                self.check_scalar(key_field, key, key_rules, f"{entry_path}(key)")
            value = entries[key]
            if value_field.type == FD.TYPE_MESSAGE:
                self.check_message_value(value_field, value, value_rules, entry_path)
            elif value_rules is not None:
                self.check_scalar(value_field, value, value_rules, entry_path)

    # -- scalar rules -------------------------------------------------------------------------------------

    def check_scalar(self, field, value, rules, path):
        kind = rules.WhichOneof("type")
        if kind is None:
            return
        self.check_scalar_rules(kind, getattr(rules, kind), value, path, field=field)

    def check_scalar_rules(self, kind, rules, value, path, field):
        if kind in NUMERIC_RULES:
            self.check_number(kind, rules, value, path)
        elif kind == "string":
            self.check_string(rules, value, path)
        elif kind == "bytes":
            self.check_bytes(rules, value, path)
        elif kind == "bool":
            if rules.HasField("const"):
                self.count("bool.const")
                if value != rules.const:
                    self.report(path, "bool.const", f"{value} is not {rules.const}")
        elif kind == "enum":
            self.check_enum(field, rules, value, path)

    def check_number(self, kind, rules, value, path):
        if getattr(rules, "ignore_empty", False) and value == 0:
            return
        if rules.HasField("const"):
            self.count(f"{kind}.const")
            if value != rules.const:
                self.report(path, f"{kind}.const", f"{value} is not {rules.const}")
        lower = ("gt", rules.gt) if rules.HasField("gt") else ("gte", rules.gte) if rules.HasField("gte") else None
        upper = ("lt", rules.lt) if rules.HasField("lt") else ("lte", rules.lte) if rules.HasField("lte") else None
        if lower or upper:
            self.count(f"{kind}.range")
            above = lower is None or (value > lower[1] if lower[0] == "gt" else value >= lower[1])
            below = upper is None or (value < upper[1] if upper[0] == "lt" else value <= upper[1])
            if lower and upper and upper[1] < lower[1]:
                ok = above or below  # PGV's exclusive range: outside [upper, lower]
            else:
                ok = above and below
            if not ok:
                given = [bound for bound in (lower, upper) if bound]
                bounds = " and ".join(f"{name} {bound}" for name, bound in given)
                self.report(path, f"{kind}.{'/'.join(name for name, _ in given)}", f"{value} breaks {bounds}")
        self.check_in(kind, rules, value, path)

    def check_in(self, kind, rules, value, path):
        if len(getattr(rules, "in")) > 0:
            self.count(f"{kind}.in")
            if value not in list(getattr(rules, "in")):
                self.report(path, f"{kind}.in", f"{value!r} is not one of {list(getattr(rules, 'in'))}")
        if len(rules.not_in) > 0:
            self.count(f"{kind}.not_in")
            if value in list(rules.not_in):
                self.report(path, f"{kind}.not_in", f"{value!r} is excluded")

    def check_string(self, rules, value, path):
        if rules.ignore_empty and value == "":
            return
        characters = len(value)
        size = len(value.encode("utf-8"))
        checks = [
            ("const", lambda: value == rules.const, f"is not {rules.const!r}"),
            ("len", lambda: characters == rules.len, f"has {characters} characters, not {rules.len}"),
            ("min_len", lambda: characters >= rules.min_len, f"has {characters} characters, at least {rules.min_len} needed"),
            ("max_len", lambda: characters <= rules.max_len, f"has {characters} characters, at most {rules.max_len}"),
            ("len_bytes", lambda: size == rules.len_bytes, f"has {size} bytes, not {rules.len_bytes}"),
            ("min_bytes", lambda: size >= rules.min_bytes, f"has {size} bytes, at least {rules.min_bytes} needed"),
            ("max_bytes", lambda: size <= rules.max_bytes, f"has {size} bytes, at most {rules.max_bytes}"),
            ("pattern", lambda: re.search(rules.pattern, value) is not None, f"does not match {rules.pattern!r}"),
            ("prefix", lambda: value.startswith(rules.prefix), f"does not start with {rules.prefix!r}"),
            ("suffix", lambda: value.endswith(rules.suffix), f"does not end with {rules.suffix!r}"),
            ("contains", lambda: rules.contains in value, f"does not contain {rules.contains!r}"),
            ("not_contains", lambda: rules.not_contains not in value, f"contains {rules.not_contains!r}"),
        ]
        for name, ok, reason in checks:
            if rules.HasField(name):
                self.count(f"string.{name}")
                if not ok():
                    self.report(path, f"string.{name}", f"{value[:80]!r} {reason}")
        self.check_in("string", rules, value, path)
        well_known = rules.WhichOneof("well_known")
        if well_known is None:
            return
        self.count(f"string.{well_known}")
        if well_known == "well_known_regex":
            strict = rules.strict  # PGV's default is true
            if rules.well_known_regex == validate_pb2.HTTP_HEADER_NAME:
                pattern, label = (HEADER_NAME if strict else HEADER_LOOSE), "HTTP_HEADER_NAME"
            elif rules.well_known_regex == validate_pb2.HTTP_HEADER_VALUE:
                pattern, label = (HEADER_VALUE if strict else HEADER_LOOSE), "HTTP_HEADER_VALUE"
            else:
                return
            if not pattern.search(value):
                self.report(path, f"string.well_known_regex.{label}", f"{value[:80]!r} is not a valid header {'name' if 'NAME' in label else 'value'}")
            return
        if not getattr(rules, well_known):
            return
        validators = {
            "email": is_email, "hostname": is_hostname, "ip": is_ip, "ipv4": is_ipv4, "ipv6": is_ipv6,
            "uri": is_uri, "uri_ref": lambda v: True, "address": lambda v: is_ip(v) or is_hostname(v),
            "uuid": is_uuid,
        }
        if not validators[well_known](value):
            self.report(path, f"string.{well_known}", f"{value[:80]!r} is not a valid {well_known}")

    def check_bytes(self, rules, value, path):
        size = len(value)
        checks = [
            ("const", lambda: value == rules.const), ("len", lambda: size == rules.len),
            ("min_len", lambda: size >= rules.min_len), ("max_len", lambda: size <= rules.max_len),
            ("pattern", lambda: re.search(rules.pattern, value.decode("utf-8", "replace")) is not None),
            ("prefix", lambda: value.startswith(rules.prefix)), ("suffix", lambda: value.endswith(rules.suffix)),
            ("contains", lambda: rules.contains in value),
        ]
        for name, ok in checks:
            if rules.HasField(name):
                self.count(f"bytes.{name}")
                if not ok():
                    self.report(path, f"bytes.{name}", f"{size} bytes break the rule")
        self.check_in("bytes", rules, value, path)
        for name, size_ok in (("ip", (4, 16)), ("ipv4", (4,)), ("ipv6", (16,))):
            if rules.HasField(name) and getattr(rules, name):
                self.count(f"bytes.{name}")
                if size not in size_ok:
                    self.report(path, f"bytes.{name}", f"{size} bytes are no {name} address")

    def check_enum(self, field, rules, value, path):
        if rules.HasField("const"):
            self.count("enum.const")
            if value != rules.const:
                self.report(path, "enum.const", f"{value} is not {rules.const}")
        if rules.defined_only:
            self.count("enum.defined_only")
            if field is not None and field.enum_type.values_by_number.get(value) is None:
                self.report(path, "enum.defined_only", f"{value} is not a value of {field.enum_type.full_name}")
        self.check_in("enum", rules, value, path)

    # -- well-known messages ------------------------------------------------------------------------------

    def check_any_rules(self, rules, value, path):
        if len(getattr(rules, "in")) > 0:
            self.count("any.in")
            if value.type_url not in list(getattr(rules, "in")):
                self.report(path, "any.in", f"{value.type_url} is not allowed")
        if len(rules.not_in) > 0:
            self.count("any.not_in")
            if value.type_url in list(rules.not_in):
                self.report(path, "any.not_in", f"{value.type_url} is excluded")

    def check_duration_rules(self, rules, value, path):
        nanos = value.seconds * 1_000_000_000 + value.nanos
        def as_nanos(duration):
            return duration.seconds * 1_000_000_000 + duration.nanos
        if rules.HasField("const"):
            self.count("duration.const")
            if nanos != as_nanos(rules.const):
                self.report(path, "duration.const", f"{format_duration(value)} is not {format_duration(rules.const)}")
        lower = ("gt", as_nanos(rules.gt)) if rules.HasField("gt") else ("gte", as_nanos(rules.gte)) if rules.HasField("gte") else None
        upper = ("lt", as_nanos(rules.lt)) if rules.HasField("lt") else ("lte", as_nanos(rules.lte)) if rules.HasField("lte") else None
        if lower or upper:
            self.count("duration.range")
            above = lower is None or (nanos > lower[1] if lower[0] == "gt" else nanos >= lower[1])
            below = upper is None or (nanos < upper[1] if upper[0] == "lt" else nanos <= upper[1])
            ok = (above or below) if (lower and upper and upper[1] < lower[1]) else (above and below)
            if not ok:
                given = [bound for bound in (lower, upper) if bound]
                bounds = " and ".join(f"{name} {bound / 1e9:g}s" for name, bound in given)
                names = "/".join(name for name, _ in given)
                self.report(path, f"duration.{names}", f"{format_duration(value)} breaks {bounds}")
        if len(getattr(rules, "in")) > 0:
            self.count("duration.in")
            if nanos not in [as_nanos(d) for d in getattr(rules, "in")]:
                self.report(path, "duration.in", f"{format_duration(value)} is not allowed")
        if len(rules.not_in) > 0:
            self.count("duration.not_in")
            if nanos in [as_nanos(d) for d in rules.not_in]:
                self.report(path, "duration.not_in", f"{format_duration(value)} is excluded")

    def check_duration_form(self, value, path):
        self.count("duration.well_formed")
        seconds, nanos = value.seconds, value.nanos
        if not (-MAX_DURATION_SECONDS <= seconds <= MAX_DURATION_SECONDS) or not (-999_999_999 <= nanos <= 999_999_999) \
                or (seconds > 0 and nanos < 0) or (seconds < 0 and nanos > 0):
            self.report(path, "duration.well_formed", f"seconds {seconds}, nanos {nanos} is no valid Duration")

    def check_deprecated(self, message, field, path):
        if not field.GetOptions().deprecated:
            return
        self.count("deprecated")
        if field.is_repeated:
            used = len(getattr(message, field.name)) > 0
        elif field.has_presence:
            used = message.HasField(field.name)
        else:
            used = getattr(message, field.name) != field.default_value
        if used:
            self.report(path, "deprecated", "a deprecated field is set (refused with fail_on_any_deprecated_feature)")

    # -- bookkeeping --------------------------------------------------------------------------------------

    def count(self, rule):
        self.constraints += 1
        self.rules_seen.add(rule.split(".")[0] + "." + rule.split(".")[1] if "." in rule else rule)

    def report(self, path, rule, reason):
        self.violations.append((path, rule, reason))


def format_duration(value):
    return f"{value.seconds + value.nanos / 1e9:g}s"


def is_ip(value):
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


def is_ipv4(value):
    try:
        return isinstance(ipaddress.ip_address(value), ipaddress.IPv4Address)
    except ValueError:
        return False


def is_ipv6(value):
    try:
        return isinstance(ipaddress.ip_address(value), ipaddress.IPv6Address)
    except ValueError:
        return False


def is_hostname(value):
    value = value[:-1] if value.endswith(".") else value
    if not value or len(value) > 253:
        return False
    return all(0 < len(label) <= 63 and HOSTNAME_LABEL.match(label) for label in value.split("."))


def is_email(value):
    local, _, domain = value.partition("@")
    return bool(local) and len(local) <= 64 and is_hostname(domain)


def is_uri(value):
    parsed = urlparse(value)
    return bool(parsed.scheme)


def is_uuid(value):
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input", help="JSON lines of {source, name, any}; - for stdin")
    parser.add_argument("--max-report", type=int, default=200, help="violations printed at most")
    arguments = parser.parse_args()
    load_all_modules()
    checker = Checker()
    stream = sys.stdin if arguments.input == "-" else open(arguments.input, encoding="utf-8")
    resources = 0
    sources = set()
    with stream:
        for line_number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                message = any_pb2.Any()
                message.ParseFromString(base64.b64decode(record["any"]))
            except Exception as error:
                sys.stderr.write(f"error: line {line_number} is not a resource record: {error}\n")
                return 2
            resources += 1
            sources.add(record.get("source", "?"))
            checker.check_any(message, f"{record.get('source', '?')} {record.get('name', '?')}: {message.type_url.split('/')[-1]}")
    for path, rule, reason in checker.violations[: arguments.max_report]:
        print(f"VIOLATION {path}: {rule}: {reason}")
    if len(checker.violations) > arguments.max_report:
        print(f"... and {len(checker.violations) - arguments.max_report} more")
    print(
        f"checked {resources} resources from {len(sources)} sources: {checker.messages} messages, "
        f"{checker.constraints} constraint evaluations, rule kinds {sorted(checker.rules_seen)}; "
        f"{len(checker.violations)} violations"
    )
    return 1 if checker.violations else 0


if __name__ == "__main__":
    sys.exit(main())
