#!/usr/bin/env python3
"""Checks the architectural walls between q8train's modules (issue 15).

The package graph comes from `swift package dump-package` (targets, their type, path and
dependencies; it evaluates Package.swift without building), the imports from every Swift file of
every target (`import X`, `@testable import X`, `@_exported import X`, `public import X`,
`import struct X.Y`, ...; comments and multi-line strings are skipped).  The walls are the WALLS
table below; a crossing prints one line (file:line of the import, or Package.swift and the
dependency) and the exit status is 1.

Q8_FUZZ-only targets (Sources/Fuzz/...) are left out: dump-package runs without Q8_FUZZ, and a
pre-dumped file that has them is filtered by path.

Exit status: 0 no crossing, 1 a crossing (or the package cannot be read), 77 skipped (no `swift`).

    scripts/check-walls.sh                               (self-test, then the check)
    python3 scripts/check_walls.py [--package-root DIR]  the check
    python3 scripts/check_walls.py --graph               the module graph, one line per target
    python3 scripts/check_walls.py --self-test           each wall fails on a synthetic crossing
    python3 scripts/check_walls.py --rules               the walls, one line each
    python3 scripts/check_walls.py --dump package.json --sources-root DIR
                                                         a pre-dumped manifest (no swift needed)
"""
import argparse
import collections
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# ------------------------------------------------------------------------------------------------
# The walls.  Kinds:
#   only-used-by      MODULE may be imported or declared as a dependency only by SUBJECTS
#                     (test targets are exempt).
#   depends-only-on   SUBJECT's project imports and declared project dependencies are within
#                     ALLOWED (external packages are free).  The subject must exist.
#   never-reaches     SUBJECTS neither import FORBIDDEN nor reach it through the transitive
#                     closure of their Package.swift dependencies.  The subjects must exist.
#   cli-only          MODULE (the CLI framework) is imported or declared only by executable
#                     targets and by the shared library SHARED (may be absent), which only
#                     executable targets depend on (test targets are exempt).
#   declared-is-used  Every module a target imports is declared directly in its Package.swift
#                     dependencies (project targets and products; SYSTEM_MODULES are free), and
#                     every dependency a non-test target declares is imported by one of its files.
# ------------------------------------------------------------------------------------------------
WALLS = [
    # no  name                       kind                subjects                  modules
    dict(no=1, name="only-dist-talks-mpi", kind="only-used-by",
         subjects=["Dist"], modules=["CMPI"],
         text="only Dist imports the MPI shim CMPI (non-test targets)"),
    dict(no=2, name="tensor-is-a-leaf", kind="depends-only-on",
         subjects=["Tensor"], modules=["CBLAS", "CKernels"],
         text="Tensor imports no project module except the C targets CBLAS and CKernels"),
    dict(no=3, name="model-format-below-bert", kind="depends-only-on",
         subjects=["ModelFormat"], modules=["Tensor", "CKernels"],
         text="ModelFormat depends only on Tensor, CKernels and external packages"),
    dict(no=4, name="runtime-off-training", kind="never-reaches",
         subjects=["Runtime", "Server"], modules=["BERT", "Training", "Dist"],
         text="Runtime and Server never reach BERT, Training or Dist (imports or dependency closure)"),
    dict(no=5, name="dist-knows-no-model", kind="never-reaches",
         subjects=["Dist"], modules=["BERT", "ModelFormat", "Training", "Tasks", "Runtime"],
         text="Dist never reaches BERT, ModelFormat, Training, Tasks or Runtime"),
    dict(no=6, name="cli-only-in-executables", kind="cli-only",
         subjects=["CommandOptions"], modules=["ArgumentParser"],
         text="only executables (and CommandOptions, used only by executables) use ArgumentParser"),
    dict(no=8, name="onnx-export-reads-formats", kind="depends-only-on",
         subjects=["ONNXExport"], modules=["ModelFormat", "ONNXProto"],
         text="ONNXExport depends only on ModelFormat and ONNXProto (a format converter: no training, runtime or MPI)"),
    dict(no=7, name="declared-is-used", kind="declared-is-used",
         subjects=[], modules=[],
         text="every import is declared in Package.swift, every declared dependency is imported"),
]

# Modules of the toolchain and the OS: importing them needs no Package.swift dependency.
SYSTEM_MODULES = {
    "Swift", "_Concurrency", "_StringProcessing", "_Differentiation", "Foundation",
    "FoundationEssentials", "FoundationInternationalization", "FoundationNetworking",
    "FoundationXML", "CoreFoundation", "Dispatch", "Glibc", "Musl", "Bionic", "Android", "Darwin",
    "WinSDK", "ucrt", "os", "XCTest", "Testing", "Synchronization", "RegexBuilder", "Observation",
    "Distributed", "Cxx", "CxxStdlib",
}

# Product name -> the modules it makes importable, where they differ from the product name.
# (Hummingbird, Logging, Prometheus, ServiceLifecycle, NIOCore, NIOConcurrencyHelpers, NIOHTTP1,
# Crypto, Yams, ArgumentParser, HummingbirdTesting: product name = module name.)
PRODUCT_MODULES = {}

# Targets that exist only when Q8_FUZZ=1 (Package.swift), recognized by their path.
FUZZ_PATH_PREFIX = "Sources/Fuzz/"

# ------------------------------------------------------------------------------------------------
# Reading the package.
# ------------------------------------------------------------------------------------------------
Import = collections.namedtuple("Import", "module file line text")
Dep = collections.namedtuple("Dep", "name kind package")   # kind: "target" | "product"
Violation = collections.namedtuple("Violation", "rule target where message order")


class Target:
    def __init__(self, name, type_, path, deps, order):
        self.name, self.type, self.path, self.deps, self.order = name, type_, path, deps, order
        self.imports = []        # [Import]
        self.swift_files = 0
        self.other_sources = 0   # C/C++/ObjC files

    @property
    def is_test(self):
        return self.type == "test"

    @property
    def is_executable(self):
        return self.type == "executable"

    @property
    def kind(self):
        if self.type == "system":
            return "system"
        if self.swift_files == 0 and self.other_sources > 0:
            return "C"
        return {"executable": "exe", "test": "test"}.get(self.type, "")

    def target_deps(self):
        return [d.name for d in self.deps if d.kind == "target"]

    def declared_modules(self):
        mods = {}
        for d in self.deps:
            for m in (PRODUCT_MODULES.get(d.name, [d.name]) if d.kind == "product" else [d.name]):
                mods[m] = d
        return mods


IMPORT_RE = re.compile(
    r"^\s*(?:(?:@\w+(?:\([^)]*\))?|public|package|internal|fileprivate|private|open)\s+)*"
    r"import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?"
    r"([A-Za-z_][A-Za-z0-9_]*)")


def imports_in(text):
    """(line number, module, statement) of each import that starts a line of code."""
    found = []
    depth = 0            # nesting of /* */ comments
    in_multiline = None  # the closing delimiter of the multi-line string we are in, or None
    for number, line in enumerate(text.splitlines(), 1):
        if depth == 0 and in_multiline is None:
            m = IMPORT_RE.match(line)
            if m:
                found.append((number, m.group(1), line.split("//")[0].strip()))
        i, n = 0, len(line)
        while i < n:
            if in_multiline is not None:
                j = line.find(in_multiline, i)
                if j < 0:
                    break
                i, in_multiline = j + len(in_multiline), None
                continue
            if depth > 0:
                if line.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif line.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
                continue
            if line.startswith("//", i):
                break
            if line.startswith("/*", i):
                depth, i = 1, i + 2
                continue
            m = re.compile(r'(#*)"""').match(line, i)
            if m:
                in_multiline, i = '"""' + m.group(1), m.end()
                continue
            m = re.compile(r'(#*)"').match(line, i)
            if m:   # a one-line string: skip to its end (escapes, raw delimiters)
                close, i = '"' + m.group(1), m.end()
                while i < n:
                    if line[i] == "\\" and not m.group(1):
                        i += 2
                    elif line.startswith(close, i):
                        i += len(close)
                        break
                    else:
                        i += 1
                continue
            i += 1
    return found


def load_package(dump, sources_root):
    """Targets (name -> Target, in declaration order) of a dump-package JSON object."""
    targets = collections.OrderedDict()
    raw = [t for t in dump.get("targets", [])
           if not (t.get("path") or "").startswith(FUZZ_PATH_PREFIX)]
    names = {t["name"] for t in raw}
    for order, t in enumerate(raw):
        deps = []
        for d in t.get("dependencies", []):
            if "byName" in d:
                name = d["byName"][0]
                deps.append(Dep(name, "target" if name in names else "product", None))
            elif "target" in d:
                deps.append(Dep(d["target"][0], "target", None))
            elif "product" in d:
                deps.append(Dep(d["product"][0], "product", d["product"][1]))
        type_ = t.get("type", "regular")
        path = t.get("path") or os.path.join("Tests" if type_ == "test" else "Sources", t["name"])
        target = Target(t["name"], type_, path, deps, order)
        if type_ not in ("system", "binary", "plugin"):
            scan_sources(target, sources_root, t)
        targets[target.name] = target
    return targets


def scan_sources(target, root, raw):
    base = os.path.join(root, target.path)
    skip = [os.path.normpath(os.path.join(base, p)) for p in raw.get("exclude", [])]
    skip += [os.path.normpath(os.path.join(base, r["path"])) for r in raw.get("resources", [])]
    only = [os.path.normpath(os.path.join(base, p)) for p in (raw.get("sources") or [])]

    def wanted(path):
        path = os.path.normpath(path)
        under = lambda p: path == p or path.startswith(p + os.sep)
        return not any(under(p) for p in skip) and (not only or any(under(p) for p in only))

    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if wanted(os.path.join(folder, d)))
        for f in sorted(files):
            full = os.path.join(folder, f)
            if not wanted(full):
                continue
            if f.endswith(".swift"):
                target.swift_files += 1
                with open(full, encoding="utf-8", errors="replace") as fh:
                    rel = os.path.relpath(full, root)
                    for line, module, text in imports_in(fh.read()):
                        target.imports.append(Import(module, rel, line, text))
            elif f.endswith((".c", ".cc", ".cpp", ".m", ".mm")):
                target.other_sources += 1


def orphan_source_folders(targets, root):
    """Folders under Sources/ and Tests/ with Swift files that no target owns (notes only)."""
    owned = [os.path.normpath(t.path) for t in targets.values()]
    notes = []
    for top in ("Sources", "Tests"):
        if not os.path.isdir(os.path.join(root, top)):
            continue
        for d in sorted(os.listdir(os.path.join(root, top))):
            rel = os.path.join(top, d)
            if not os.path.isdir(os.path.join(root, rel)) or (rel + "/").startswith(FUZZ_PATH_PREFIX):
                continue
            if any(rel == p or p.startswith(rel + os.sep) or rel.startswith(p + os.sep) for p in owned):
                continue
            n = sum(f.endswith(".swift") for _, _, fs in os.walk(os.path.join(root, rel)) for f in fs)
            if n:
                notes.append(f"note: {rel}/ has {n} Swift files but is no target's folder")
    return notes


# ------------------------------------------------------------------------------------------------
# The checks.
# ------------------------------------------------------------------------------------------------
class Checker:
    def __init__(self, targets, manifest_text=None):
        self.targets = targets
        self.violations = []
        self.manifest_lines = manifest_text.splitlines() if manifest_text else None

    def manifest_where(self, target):
        """Package.swift:LINE of the target's declaration, when the manifest text is at hand."""
        if self.manifest_lines:
            pattern = re.compile(r'name:\s*"%s"' % re.escape(target))
            for i, line in enumerate(self.manifest_lines, 1):
                if pattern.search(line) and re.search(r"\.(target|executableTarget|testTarget|"
                                                      r"systemLibrary|binaryTarget|macro|plugin)\(",
                                                      line + "".join(self.manifest_lines[i - 2:i - 1])):
                    return f"Package.swift:{i}"
        return "Package.swift"

    def report(self, wall, target, where, message):
        order = (wall["no"], self.targets[target].order if target in self.targets else -1, where)
        self.violations.append(Violation(wall, target, where, message, order))

    def report_import(self, wall, target, imp, message=None):
        self.report(wall, target, f"{imp.file}:{imp.line}", message or f"{imp.text}")

    def report_dep(self, wall, target, message):
        self.report(wall, target, self.manifest_where(target), message)

    def require(self, wall, name):
        if name not in self.targets:
            self.report(wall, name, "Package.swift",
                        f"target {name} is not in Package.swift: the wall has nothing to check "
                        f"(rename it in WALLS of scripts/check_walls.py if it moved)")
            return False
        return True

    def path_to(self, start, goal):
        """Shortest dependency path start -> ... -> goal over project targets, or None."""
        previous, queue = {start: None}, collections.deque([start])
        while queue:
            node = queue.popleft()
            if node == goal:
                path = []
                while node is not None:
                    path.append(node)
                    node = previous[node]
                return path[::-1]
            for dep in self.targets[node].target_deps() if node in self.targets else []:
                if dep not in previous:
                    previous[dep] = node
                    queue.append(dep)
        return None

    def run(self):
        for wall in WALLS:
            getattr(self, "check_" + wall["kind"].replace("-", "_"))(wall)
        self.violations.sort(key=lambda v: v.order)
        return self.violations

    def check_only_used_by(self, wall):
        for t in self.targets.values():
            if t.is_test or t.name in wall["subjects"]:
                continue
            for imp in t.imports:
                if imp.module in wall["modules"]:
                    self.report_import(wall, t.name, imp)
            for d in t.deps:
                if d.name in wall["modules"]:
                    self.report_dep(wall, t.name, f"dependency {d.name}")

    def check_depends_only_on(self, wall):
        for s in wall["subjects"]:
            if not self.require(wall, s):
                continue
            t = self.targets[s]
            for imp in t.imports:
                if imp.module in self.targets and imp.module != s and imp.module not in wall["modules"]:
                    self.report_import(wall, s, imp)
            for d in t.target_deps():
                if d not in wall["modules"]:
                    self.report_dep(wall, s, f"dependency {d}")

    def check_never_reaches(self, wall):
        for s in wall["subjects"]:
            if not self.require(wall, s):
                continue
            for imp in self.targets[s].imports:
                if imp.module in wall["modules"]:
                    self.report_import(wall, s, imp)
            for f in wall["modules"]:
                path = self.path_to(s, f)
                if path:
                    self.report_dep(wall, s, "dependency path " + " -> ".join(path))

    def check_cli_only(self, wall):
        shared = wall["subjects"][0] if wall["subjects"] else None
        for t in self.targets.values():
            if t.is_test:
                continue
            if not t.is_executable and t.name != shared:
                for imp in t.imports:
                    if imp.module in wall["modules"] or imp.module == shared:
                        self.report_import(wall, t.name, imp)
                for d in t.deps:
                    if d.name in wall["modules"] or d.name == shared:
                        self.report_dep(wall, t.name, f"dependency {d.name}"
                                        + (" (only executables may use it)" if d.name == shared else ""))
        if shared in self.targets and self.targets[shared].type != "regular":
            self.report_dep(wall, shared, f"{shared} is a {self.targets[shared].type} target, "
                                          f"not a library")

    def check_declared_is_used(self, wall):
        for t in self.targets.values():
            declared = t.declared_modules()
            seen = collections.OrderedDict()
            for imp in t.imports:
                seen.setdefault(imp.module, []).append(imp)
            for module, imps in seen.items():
                if module in SYSTEM_MODULES or module == t.name or module in declared:
                    continue
                what = "project target" if module in self.targets else "module"
                more = f" (and {len(imps) - 1} more)" if len(imps) > 1 else ""
                self.report_import(wall, t.name, imps[0],
                                   f"imports {what} {module}, not declared in its Package.swift "
                                   f"dependencies{more}")
            if t.is_test or t.kind in ("system", "C") or t.swift_files == 0:
                continue
            for d in t.deps:
                modules = PRODUCT_MODULES.get(d.name, [d.name]) if d.kind == "product" else [d.name]
                if not any(m in seen for m in modules):
                    kind = "product" if d.kind == "product" else "target"
                    self.report_dep(wall, t.name, f"dependency {d.name} ({kind}) is declared, "
                                                  f"but no file imports it")


# ------------------------------------------------------------------------------------------------
# The graph.
# ------------------------------------------------------------------------------------------------
def graph_lines(targets):
    nodes = [t for t in targets.values() if not t.is_test]
    names = {t.name for t in nodes}
    level = {}

    def depth(name, stack=()):
        if name in level:
            return level[name]
        if name in stack:      # a cycle (SwiftPM rejects them): cut it
            return 0
        deps = [d for d in targets[name].target_deps() if d in names]
        level[name] = 1 + max((depth(d, stack + (name,)) for d in deps), default=-1)
        return level[name]

    for t in nodes:
        depth(t.name)
    ordered = sorted(nodes, key=lambda t: (level[t.name], t.order))
    rank = {t.name: i for i, t in enumerate(ordered)}
    labels = {}
    for t in ordered:
        tags = [t.kind] if t.kind else []
        if t.path.startswith("Tests" + os.sep) or t.path.startswith("Tests/"):
            tags.append(t.path)
        labels[t.name] = t.name + (f" [{', '.join(tags)}]" if tags else "")
    width = max(len(l) for l in labels.values()) if labels else 0
    lines = []
    for t in ordered:
        deps = sorted((d for d in t.target_deps() if d in names), key=lambda d: rank[d])
        lines.append((labels[t.name].ljust(width) + (" -> " + ", ".join(deps) if deps else "")).rstrip())
    return lines


# ------------------------------------------------------------------------------------------------
# Entry points.
# ------------------------------------------------------------------------------------------------
def dump_package(root):
    """The manifest as JSON, from `swift package dump-package` (None when swift is missing)."""
    swift = os.environ.get("SWIFT", "swift")
    if shutil.which(swift) is None:
        return None
    env = dict(os.environ)
    env.pop("Q8_FUZZ", None)   # the fuzz targets are not part of the normal package
    # A scratch path of our own: the package's .build may be locked by a build in progress.
    with tempfile.TemporaryDirectory(prefix="q8-walls-") as scratch:
        proc = subprocess.run([swift, "package", "--package-path", root, "--scratch-path", scratch,
                               "dump-package"], cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"walls: `swift package dump-package` failed (exit {proc.returncode})")
    return json.loads(proc.stdout)


def check(dump, root, manifest_text=None, quiet=False, out=sys.stdout):
    targets = load_package(dump, root)
    violations = Checker(targets, manifest_text).run()
    if not quiet:
        for v in violations:
            out.write(f"{v.where}: rule {v.rule['no']} {v.rule['name']}: {v.target}: {v.message}\n")
        for note in orphan_source_folders(targets, root):
            out.write(note + "\n")
        out.write(f"walls: {len(WALLS)} rules, {len(violations)} violations\n")
    return violations


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--package-root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    parser.add_argument("--dump", help="a `swift package dump-package` JSON file instead of running swift")
    parser.add_argument("--sources-root", help="the folder target paths are relative to (default: package root)")
    parser.add_argument("--graph", action="store_true", help="print the module graph and exit")
    parser.add_argument("--rules", action="store_true", help="print the walls and exit")
    parser.add_argument("--self-test", action="store_true", help="check the checker on synthetic crossings")
    args = parser.parse_args(argv)
    root = os.path.normpath(args.package_root)
    if args.rules:
        for w in WALLS:
            print(f"rule {w['no']} {w['name']}: {w['text']}")
        return 0
    if args.self_test:
        return self_test()
    if args.dump:
        with open(args.dump) as fh:
            dump = json.load(fh)
    else:
        dump = dump_package(root)
        if dump is None:
            print("skipped: `swift` not found (set SWIFT=...)")
            return 77
    sources_root = os.path.normpath(args.sources_root or root)
    if args.graph:
        print("\n".join(graph_lines(load_package(dump, sources_root))))
        return 0
    manifest = None
    if not args.dump and os.path.isfile(os.path.join(root, "Package.swift")):
        with open(os.path.join(root, "Package.swift"), encoding="utf-8") as fh:
            manifest = fh.read()
    return 1 if check(dump, sources_root, manifest) else 0


# ------------------------------------------------------------------------------------------------
# Self-test: a synthetic package that satisfies every wall, then one crossing per wall.
# Targets: name -> (type, dependencies, {file: source}); "X" is byName, "target:X" the target
# form, "product:X@pkg" a product.  Written out as a dump-package JSON and a Sources/Tests tree.
# ------------------------------------------------------------------------------------------------
def _src(*modules, extra=""):
    return "".join(f"import {m}\n" for m in modules) + extra + "\nlet x = 1\n"


TRICKY = '''\
#if canImport(Glibc)
import Glibc
#endif
@testable import struct Tensor.Matrix
public import Tensor
/* import BERT
   /* nested */ import Training
*/
let s = """
import Dist
"""
let r = #"""
import Dist """ still inside
"""#
let t = "/* not a comment"  // import Dist
'''

CLEAN_FIXTURE = {
    "CBLAS": ("system", [], {}),
    "CMPI": ("system", [], {}),
    "CKernels": ("regular", [], {"kernels.c": "int k(void) { return 0; }\n"}),
    "Tensor": ("regular", ["CBLAS", "CKernels"], {"Tensor.swift": _src("Foundation", "CBLAS", "CKernels")}),
    "ModelFormat": ("regular", ["Tensor", "CKernels", "product:Crypto@swift-crypto"],
                    {"Format.swift": _src("Foundation", "Tensor", "Crypto"), "Scale.swift": _src("CKernels")}),
    "BERT": ("regular", ["ModelFormat", "Tensor"], {"Model.swift": _src("ModelFormat", "Tensor")}),
    "Tasks": ("regular", [], {"Tasks.swift": _src("Foundation")}),
    "Report": ("regular", [], {"Report.swift": _src("Foundation")}),
    "Metrics": ("regular", [], {"Metrics.swift": _src("Foundation")}),
    "Dist": ("regular", ["CMPI", "Tensor"], {"Comm.swift": _src("CMPI", "Tensor")}),
    "ONNXProto": ("regular", ["product:SwiftProtobuf@swift-protobuf"], {"onnx.pb.swift": _src("SwiftProtobuf")}),
    "ONNXExport": ("regular", ["ModelFormat", "ONNXProto", "product:SwiftProtobuf@swift-protobuf"],
                   {"Export.swift": _src("ModelFormat", "ONNXProto", "SwiftProtobuf")}),
    "Training": ("regular", ["BERT", "Dist", "Tasks", "Tensor"],
                 {"Trainer.swift": _src("BERT", "Dist", "Tasks", "Tensor")}),
    "Runtime": ("regular", ["ModelFormat", "target:Tensor", "CKernels"],
                {"Int8.swift": _src("ModelFormat", "CKernels", extra=TRICKY)}),
    "Server": ("regular", ["Runtime", "ModelFormat", "product:Hummingbird@hummingbird", "product:Logging@swift-log"],
               {"Server.swift": _src("Runtime", "ModelFormat", "Hummingbird"), "Log.swift": _src("Logging")}),
    "CommandOptions": ("regular", ["Runtime", "product:ArgumentParser@swift-argument-parser"],
                       {"Options.swift": _src("ArgumentParser", "Runtime")}),
    "Launcher": ("executable", ["Training", "CommandOptions", "Report", "Metrics", "ArgumentParser"],
                 {"main.swift": _src("Training", "CommandOptions", "Report", "Metrics", "ArgumentParser")}),
    "Serve": ("executable", ["Server", "CommandOptions", "product:ArgumentParser@swift-argument-parser", "Logging"],
              {"main.swift": _src("Server", "CommandOptions", "ArgumentParser", "Logging")}),
    "RuntimeTests": ("test", ["Runtime", "BERT", "CMPI", "CommandOptions", "product:ArgumentParser@swift-argument-parser"],
                     {"T.swift": _src("XCTest", "CMPI", "CommandOptions", "ArgumentParser", extra="@testable import Runtime\n@testable import BERT\n")}),
    # Only in Q8_FUZZ builds: its crossings do not count.
    "FuzzThing": ("executable", [], {"main.swift": _src("CMPI", "BERT")}),
}


def _add(fx, target, deps=(), imports=()):
    """Adds dependencies, and a file Crossing.swift with the given imports, to a fixture target."""
    type_, d, files = fx[target]
    fx[target] = (type_, d + list(deps), dict(files, **({"Crossing.swift": _src(*imports)} if imports else {})))


# One crossing per wall: (what, mutation of the clean fixture, expected (rule, target, fragment)).
CROSSINGS = [
    ("Training uses MPI",
     lambda fx: _add(fx, "Training", ["CMPI"], ["CMPI"]),
     [(1, "Training", "Crossing.swift:1: import CMPI"), (1, "Training", "dependency CMPI")]),
    ("Tensor uses a project module",
     lambda fx: _add(fx, "Tensor", ["Metrics"], ["Metrics"]),
     [(2, "Tensor", "import Metrics"), (2, "Tensor", "dependency Metrics")]),
    ("ModelFormat uses another project module",
     lambda fx: _add(fx, "ModelFormat", ["Metrics"], ["Metrics"]),
     [(3, "ModelFormat", "import Metrics"), (3, "ModelFormat", "dependency Metrics")]),
    ("Runtime uses Dist (Server reaches it through Runtime)",
     lambda fx: _add(fx, "Runtime", ["Dist"], ["Dist"]),
     [(4, "Runtime", "import Dist"), (4, "Runtime", "dependency path Runtime -> Dist"),
      (4, "Server", "dependency path Server -> Runtime -> Dist")]),
    ("Dist uses Tasks",
     lambda fx: _add(fx, "Dist", ["Tasks"], ["Tasks"]),
     [(5, "Dist", "import Tasks"), (5, "Dist", "dependency path Dist -> Tasks")]),
    ("a library uses ArgumentParser",
     lambda fx: _add(fx, "Tasks", ["product:ArgumentParser@swift-argument-parser"], ["ArgumentParser"]),
     [(6, "Tasks", "import ArgumentParser"), (6, "Tasks", "dependency ArgumentParser")]),
    ("a library uses CommandOptions",
     lambda fx: _add(fx, "Report", ["CommandOptions"], ["CommandOptions"]),
     [(6, "Report", "import CommandOptions"), (6, "Report", "dependency CommandOptions")]),
    ("the ONNX exporter uses the runtime",
     lambda fx: _add(fx, "ONNXExport", ["Runtime"], ["Runtime"]),
     [(8, "ONNXExport", "import Runtime"), (8, "ONNXExport", "dependency Runtime")]),
    ("an undeclared project import",
     lambda fx: _add(fx, "Server", [], ["Tensor"]),
     [(7, "Server", "imports project target Tensor, not declared")]),
    ("an unused target dependency",
     lambda fx: _add(fx, "Launcher", ["Tasks"]),
     [(7, "Launcher", "dependency Tasks (target) is declared, but no file imports it")]),
    ("an unused product dependency",
     lambda fx: _add(fx, "Serve", ["product:ServiceLifecycle@swift-service-lifecycle"]),
     [(7, "Serve", "dependency ServiceLifecycle (product) is declared, but no file imports it")]),
    ("an undeclared external import in a test target",
     lambda fx: _add(fx, "RuntimeTests", [], ["NIOPosix"]),
     [(7, "RuntimeTests", "imports module NIOPosix, not declared")]),
]


def _rename_model_format(fx):
    """ModelFormat renamed without updating WALLS: rule 3 must say it has nothing to check."""
    for name in list(fx):
        type_, deps, files = fx[name]
        deps = [d.replace("ModelFormat", "BERTFiles") for d in deps]
        files = {f: s.replace("ModelFormat", "BERTFiles") for f, s in files.items()}
        fx["BERTFiles" if name == "ModelFormat" else name] = (type_, deps, files)
    del fx["ModelFormat"]


def _write_fixture(fixture, root):
    targets = []
    for name, (type_, deps, files) in fixture.items():
        entry = {"name": name, "type": type_, "dependencies": [], "exclude": [], "resources": []}
        if type_ == "system":
            entry["path"] = f"Sources/{name}"
        if name.startswith("Fuzz"):
            entry["path"] = f"Sources/Fuzz/{name}"
        for d in deps:
            if d.startswith("product:"):
                product, package = d[len("product:"):].split("@")
                entry["dependencies"].append({"product": [product, package, None, None]})
            elif d.startswith("target:"):
                entry["dependencies"].append({"target": [d[len("target:"):], None]})
            else:
                entry["dependencies"].append({"byName": [d, None]})
        folder = entry.get("path") or os.path.join("Tests" if type_ == "test" else "Sources", name)
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        for f, text in files.items():
            with open(os.path.join(root, folder, f), "w") as fh:
                fh.write(text)
        targets.append(entry)
    return {"name": "fixture", "targets": targets, "products": [], "dependencies": []}


def self_test():
    import io
    failures = []

    def run(label, fixture, expected):
        with tempfile.TemporaryDirectory(prefix="q8-walls-selftest-") as root:
            dump = _write_fixture(fixture, root)
            out = io.StringIO()
            found = check(json.loads(json.dumps(dump)), root, out=out)
        lines = [f"{v.where}: rule {v.rule['no']} {v.rule['name']}: {v.target}: {v.message}" for v in found]
        unmatched = list(found)
        for rule, target, fragment in expected:
            hit = next((v for v in unmatched if v.rule["no"] == rule and v.target == target
                        and fragment in f"{v.where}: {v.message}"), None)
            if hit is None:
                failures.append(f"{label}: rule {rule} was not reported for {target} ({fragment!r})")
            else:
                unmatched.remove(hit)
        for v in unmatched:
            failures.append(f"{label}: unexpected: {v.where}: rule {v.rule['no']}: {v.target}: {v.message}")
        rules_hit = sorted({r for r, _, _ in expected})
        print(f"self-test: {label}: {len(found)} violations reported"
              + (f" (rules {', '.join(map(str, rules_hit))})" if rules_hit else "")
              + ("" if len(found) == len(expected) and not unmatched else "  <-- mismatch"))
        if unmatched or len(found) != len(expected):
            print("  reported:\n" + "\n".join("    " + l for l in lines))

    def mutated(*mutations):
        fx = copy.deepcopy(CLEAN_FIXTURE)
        for m in mutations:
            m(fx)
        return fx

    run("clean package", CLEAN_FIXTURE, [])
    for label, mutate, expected in CROSSINGS:
        run(label, mutated(mutate), expected)
    run("all crossings at once", mutated(*(m for _, m, _ in CROSSINGS)),
        [e for _, _, expected in CROSSINGS for e in expected])
    run("ModelFormat renamed, walls not updated", mutated(_rename_model_format),
        [(3, "ModelFormat", "is not in Package.swift"),
         (8, "ONNXExport", "dependency BERTFiles"), (8, "ONNXExport", "import BERTFiles")])
    covered = {r for _, _, exp in CROSSINGS for r, _, _ in exp}
    missing = [w["no"] for w in WALLS if w["no"] not in covered]
    if missing:
        failures.append(f"no crossing exercises rule(s) {missing}")
    # The import scanner on its own: comments, strings and attribute forms.
    got = [(n, m) for n, m, _ in imports_in(TRICKY)]
    want = [(2, "Glibc"), (4, "Tensor"), (5, "Tensor")]
    if got != want:
        failures.append(f"imports_in(TRICKY) = {got}, expected {want}")
    for f in failures:
        print("self-test FAILED: " + f)
    print(f"self-test: {'FAILED' if failures else 'passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
