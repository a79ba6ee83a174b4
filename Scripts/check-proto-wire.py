#!/usr/bin/env python3
"""Checks that every message, field and enum value in Protos/ matches the public Envoy xDS API.

Our .proto files are a hand-written subset of the upstream definitions. What must not drift is the wire
contract: message and enum names, field numbers, types, labels, referenced type names, oneof membership and
enum value numbers. This script compiles our files with protoc into a descriptor set and compares each
element with the descriptors shipped in the `xds-protos` package (its *_pb2 modules).

Usage: check-proto-wire.py [--protos-dir DIR] [--protoc PATH]
Exit status: 0 when everything matches, 1 on any difference, 2 when the check itself cannot run.
"""

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2

SKIPPED_PREFIX = "google/protobuf/"
# Istio's own protos (the CSR service) are not part of xds-protos; they compile with the rest but are not
# compared. Their field numbers are checked by hand against Istio's published API (see the file's header).
NOT_IN_XDS_PROTOS_PREFIX = "istio/"
TYPE_NAMES = {
    number: name[len("TYPE_"):].lower()
    for name, number in descriptor_pb2.FieldDescriptorProto.Type.items()
}
LABEL_NAMES = {
    number: name[len("LABEL_"):].lower()
    for name, number in descriptor_pb2.FieldDescriptorProto.Label.items()
}


def compile_ours(protos_dir: Path, protoc: str) -> descriptor_pb2.FileDescriptorSet:
    """Runs protoc over every .proto under protos_dir and returns the resulting descriptor set."""
    files = sorted(
        str(p.relative_to(protos_dir))
        for p in protos_dir.rglob("*.proto")
        if not str(p.relative_to(protos_dir)).startswith(SKIPPED_PREFIX)
    )
    if not files:
        raise SystemExit(f"error: no .proto files under {protos_dir}")
    protoc_include = Path(protoc).resolve().parent.parent / "include"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ours.pb"
        command = [protoc, f"-I{protos_dir}"]
        if protoc_include.is_dir():
            command.append(f"-I{protoc_include}")
        command += ["--include_imports", f"--descriptor_set_out={out}", *files]
        result = subprocess.run(command, cwd=protos_dir, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stderr)
            raise SystemExit(f"error: protoc failed on {protos_dir} (exit {result.returncode})")
        descriptor_set = descriptor_pb2.FileDescriptorSet()
        descriptor_set.ParseFromString(out.read_bytes())
        return descriptor_set


def upstream_file(path: str) -> descriptor_pb2.FileDescriptorProto | None:
    """Loads the upstream descriptor of the file at `path` from its xds-protos *_pb2 module."""
    module_name = path[: -len(".proto")].replace("/", ".").replace("-", "_") + "_pb2"
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    proto = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(proto)
    return proto


class Index:
    """Upstream messages and enums by full name, loaded lazily file by file."""

    def __init__(self) -> None:
        self.messages: dict[str, descriptor_pb2.DescriptorProto] = {}
        self.enums: dict[str, descriptor_pb2.EnumDescriptorProto] = {}
        self.loaded: set[str] = set()

    def load(self, path: str) -> bool:
        if path in self.loaded:
            return True
        proto = upstream_file(path)
        if proto is None:
            return False
        self.loaded.add(path)
        prefix = proto.package
        for enum in proto.enum_type:
            self.enums[f"{prefix}.{enum.name}"] = enum
        for message in proto.message_type:
            self._add_message(f"{prefix}.{message.name}", message)
        return True

    def _add_message(self, full_name: str, message: descriptor_pb2.DescriptorProto) -> None:
        self.messages[full_name] = message
        for enum in message.enum_type:
            self.enums[f"{full_name}.{enum.name}"] = enum
        for nested in message.nested_type:
            self._add_message(f"{full_name}.{nested.name}", nested)


def oneof_name(message: descriptor_pb2.DescriptorProto, field: descriptor_pb2.FieldDescriptorProto) -> str | None:
    """The real oneof a field belongs to; proto3 `optional` synthetic oneofs do not count."""
    if not field.HasField("oneof_index") or field.proto3_optional:
        return None
    return message.oneof_decl[field.oneof_index].name


def describe_label(field: descriptor_pb2.FieldDescriptorProto) -> str:
    return LABEL_NAMES.get(field.label, str(field.label))


class Checker:
    """Compares our descriptors with upstream and collects every difference as a readable line."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.differences: list[str] = []
        self.messages = self.fields = self.enum_values = self.methods = 0
        self.upstream_services: dict[str, descriptor_pb2.ServiceDescriptorProto] = {}

    def differ(self, line: str) -> None:
        self.differences.append(line)

    def check_file(self, ours: descriptor_pb2.FileDescriptorProto) -> None:
        upstream = upstream_file(ours.name)
        for service in upstream.service if upstream else []:
            self.upstream_services[f"{upstream.package}.{service.name}"] = service
        for enum in ours.enum_type:
            self.check_enum(f"{ours.package}.{enum.name}", enum)
        for message in ours.message_type:
            self.check_message(f"{ours.package}.{message.name}", message)

    def check_service(self, package: str, ours: descriptor_pb2.ServiceDescriptorProto) -> None:
        full_name = f"{package}.{ours.name}"
        upstream = self.upstream_services.get(full_name)
        if upstream is None:
            self.differ(f"{full_name}: service does not exist upstream")
            return
        upstream_methods = {method.name: method for method in upstream.method}
        for method in ours.method:
            self.methods += 1
            name = f"{full_name}.{method.name}"
            theirs = upstream_methods.get(method.name)
            if theirs is None:
                self.differ(f"{name}: method does not exist upstream")
                continue
            for attribute in ("input_type", "output_type", "client_streaming", "server_streaming"):
                here, there = getattr(method, attribute), getattr(theirs, attribute)
                if here != there:
                    self.differ(f"{name}: {attribute} {here} here, {there} upstream")

    def check_enum(self, full_name: str, ours: descriptor_pb2.EnumDescriptorProto) -> None:
        upstream = self.index.enums.get(full_name)
        if upstream is None:
            self.differ(f"{full_name}: enum does not exist upstream")
            return
        upstream_values = {value.name: value.number for value in upstream.value}
        for value in ours.value:
            self.enum_values += 1
            name = f"{full_name}.{value.name}"
            if value.name not in upstream_values:
                self.differ(f"{name}: enum value does not exist upstream")
            elif upstream_values[value.name] != value.number:
                self.differ(f"{name}: number {value.number} here, {upstream_values[value.name]} upstream")

    def check_message(self, full_name: str, ours: descriptor_pb2.DescriptorProto) -> None:
        self.messages += 1
        upstream = self.index.messages.get(full_name)
        if upstream is None:
            self.differ(f"{full_name}: message does not exist upstream")
            return
        upstream_fields = {field.name: field for field in upstream.field}
        upstream_by_number = {field.number: field for field in upstream.field}
        for field in ours.field:
            self.fields += 1
            self.check_field(f"{full_name}.{field.name}", ours, field, upstream, upstream_fields, upstream_by_number)
        for enum in ours.enum_type:
            self.check_enum(f"{full_name}.{enum.name}", enum)
        for nested in ours.nested_type:
            self.check_message(f"{full_name}.{nested.name}", nested)

    def check_field(self, name, ours_message, field, upstream_message, upstream_fields, upstream_by_number) -> None:
        theirs = upstream_fields.get(field.name)
        if theirs is None:
            hint = ""
            if field.number in upstream_by_number:
                hint = f" (number {field.number} is '{upstream_by_number[field.number].name}' upstream)"
            self.differ(f"{name}: field does not exist upstream{hint}")
            return
        if field.number != theirs.number:
            self.differ(f"{name}: number {field.number} here, {theirs.number} upstream")
        if field.type != theirs.type:
            self.differ(f"{name}: type {TYPE_NAMES[field.type]} here, {TYPE_NAMES[theirs.type]} upstream")
        if field.label != theirs.label:
            self.differ(f"{name}: label {describe_label(field)} here, {describe_label(theirs)} upstream")
        if field.type_name.lstrip(".") != theirs.type_name.lstrip("."):
            self.differ(
                f"{name}: type_name {field.type_name.lstrip('.') or '-'} here, "
                f"{theirs.type_name.lstrip('.') or '-'} upstream"
            )
        our_oneof = oneof_name(ours_message, field)
        their_oneof = oneof_name(upstream_message, theirs)
        if our_oneof != their_oneof:
            self.differ(f"{name}: oneof {our_oneof or '(none)'} here, {their_oneof or '(none)'} upstream")


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protos-dir", type=Path, default=root / "Protos", help="folder of .proto files (default: Protos/)")
    parser.add_argument("--protoc", default=os.environ.get("PROTOC", "/usr/bin/protoc"), help="protoc to use")
    args = parser.parse_args()

    protos_dir = args.protos_dir.resolve()
    descriptor_set = compile_ours(protos_dir, args.protoc)
    index = Index()
    ours_files = [f for f in descriptor_set.file if not f.name.startswith(SKIPPED_PREFIX)]
    not_in_xds_protos = [f.name for f in ours_files if f.name.startswith(NOT_IN_XDS_PROTOS_PREFIX)]
    ours_files = [f for f in ours_files if not f.name.startswith(NOT_IN_XDS_PROTOS_PREFIX)]
    for name in not_in_xds_protos:
        print(f"skipped {name}: Istio's protos are not in xds-protos, so it is compiled but not compared")
    for ours in ours_files:
        index.load(ours.name)
    checker = Checker(index)
    for ours in ours_files:
        if ours.name not in index.loaded:
            checker.differ(f"{ours.name}: no upstream file at this path in xds-protos")
        checker.check_file(ours)
        for service in ours.service:
            checker.check_service(ours.package, service)

    for line in checker.differences:
        print(line)
    summary = (
        f"checked {len(ours_files)} files, {checker.messages} messages, {checker.fields} fields, "
        f"{checker.enum_values} enum values, {checker.methods} rpc methods against xds-protos: "
    )
    if checker.differences:
        print(summary + f"{len(checker.differences)} difference(s)")
        return 1
    print(summary + "no differences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
