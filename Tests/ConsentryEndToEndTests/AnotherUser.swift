import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `consentry` run as another user — nobody (65534), without supplementary groups — the way
/// a nightly job runs it as a service user.
///
/// That user may not reach the repository: a clone in a private (0700) directory, or under a
/// home directory, hides the build products, `SampleCatalogs/` and the test runner's working
/// directory from it. So the binary (and, when the toolchain's own directory is out of reach
/// too, the Swift libraries it loads, which its RUNPATH also looks for beside it) is copied
/// into a fresh temporary directory the user can reach, inputs are copied next to it with
/// ``stage(_:)``, and commands run from there, never from the repository. When even that
/// does not work (the temporary directory itself is private), the test is skipped with the
/// reason.
final class AnotherUser {
    static let uid = 65534

    /// The staging directory (0755): `bin/consentry`, and whatever ``stage(_:)`` copied.
    let tmp: TempDir
    /// The copied binary.
    let binary: String
    private let setpriv: String

    /// The staged user, or the test is skipped with the reason it cannot run.
    static func nobody(_ tag: String = "user") throws -> AnotherUser {
        guard Privileges.canDropToNobody, let setpriv = systemTool("setpriv") else {
            try Test.cancel("skipped: needs root and setpriv to run consentry as another user")
        }
        let user = try AnotherUser(tag, setpriv: setpriv)
        if let reason = try user.check() {
            try Test.cancel(Comment(rawValue: "skipped: \(reason)"))
        }
        return user
    }

    private init(_ tag: String, setpriv: String) throws {
        self.setpriv = setpriv
        tmp = try TempDir(tag)
        chmod(tmp.path, 0o755)
        let bin = try tmp.makeDirectory("bin")
        chmod(bin, 0o755)
        binary = bin + "/consentry"
        try FileManager.default.copyItem(atPath: try consentryPath(), toPath: binary)
        chmod(binary, 0o755)
    }

    /// Why the user cannot run the copy, or nil.
    private func check() throws -> String? {
        let probe = try tmp.write("probe", "x")
        chmod(probe, 0o644)
        if let test = systemTool("test"), try runProgram(setpriv, Self.drop + [test, "-r", probe]).status != 0 {
            return "user nobody cannot reach the temporary directory \(tmp.path); set TMPDIR to a directory every user can search"
        }
        var version = try run(["--version"])
        if version.exitCode != 0 {
            // Most likely the toolchain's libraries are out of reach (a toolchain unpacked in
            // a home directory): copy them beside the binary.
            try copySharedLibraries(into: (binary as NSString).deletingLastPathComponent)
            version = try run(["--version"])
        }
        return version.exitCode == 0 ? nil : "the copied binary does not start as user nobody: \(version)"
    }

    /// setpriv's arguments for user and group nobody without supplementary groups.
    static let drop = ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups"]

    /// `consentry ARGS` as nobody, from the staging directory unless `directory` is given.
    /// `executable` replaces the copied binary's path (a relative path is resolved from
    /// `directory`); `bare` runs it with only `PATH` in the environment (no `HOME`, `LANG`,
    /// `TMPDIR`), as cron does for a service user without a home.
    func run(_ arguments: [String], directory: String? = nil, executable: String? = nil, bare: Bool = false,
             timeout: TimeInterval = 60) throws -> ProcessResult {
        let command = Self.drop + [executable ?? binary] + arguments
        if bare {
            return try runProgram("/usr/bin/env", ["-i", "PATH=/usr/bin:/bin", setpriv] + command,
                                  directory: directory ?? tmp.path, timeout: timeout)
        }
        return try runProgram(setpriv, command, directory: directory ?? tmp.path, timeout: timeout)
    }

    /// Copies `path` (a file, e.g. a sample catalogue) into the staging directory, readable by
    /// everyone, and returns the copy's path.
    func stage(_ path: String) throws -> String {
        let inputs = tmp.file("inputs")
        if !FileManager.default.fileExists(atPath: inputs) {
            try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: false)
            chmod(inputs, 0o755)
        }
        let copy = inputs + "/" + (path as NSString).lastPathComponent
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        chmod(copy, 0o644)
        return copy
    }

    /// A directory in the staging directory that the user may write (0777), for databases.
    func writableDirectory(_ name: String = "db") throws -> String {
        let path = try tmp.makeDirectory(name)
        chmod(path, 0o777)
        return path
    }

    /// The shared libraries `ldd` resolves outside the system's library directories.
    private func copySharedLibraries(into directory: String) throws {
        guard let ldd = systemTool("ldd") else { return }
        let listing = try runProgram(ldd, [binary])
        for line in listing.stdout.split(separator: "\n") {
            guard let arrow = line.range(of: "=> /") else { continue }
            let path = String(line[line.index(before: arrow.upperBound)...].prefix { $0 != " " })
            if ["/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/"].contains(where: path.hasPrefix) { continue }
            let copy = directory + "/" + (path as NSString).lastPathComponent
            if !FileManager.default.fileExists(atPath: copy) {
                try FileManager.default.copyItem(atPath: path, toPath: copy)
                chmod(copy, 0o755)
            }
        }
    }
}
