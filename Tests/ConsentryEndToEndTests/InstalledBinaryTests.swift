import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    /// The binary as it is installed for a nightly job: copied alone into an empty
    /// directory, run by a service user with no home and a bare environment, from a working
    /// directory that user cannot read. Nothing may be looked up beside the binary or
    /// through Foundation's `Bundle` (the main bundle cannot be found from such a place, and
    /// looking it up traps), and every failure the environment causes is a message and an
    /// exit code, never a crash.
    @Suite struct InstalledBinary {
        /// One way of starting the binary: its path as given, and the working directory.
        struct Start {
            var label: String
            var executable: String
            var directory: String
        }

        @Test func aCopiedBinaryRunsAsAServiceUserFromAnUnreadableDirectory() throws {
            let nobody = try AnotherUser.nobody("installed")
            let sample = try nobody.stage(Paths.sample("nightly-2026-11-20.csv.gz"))
            let dbDirectory = try nobody.writableDirectory()

            // The binary alone in a directory the user may search but not list.
            let alone = try nobody.tmp.makeDirectory("alone")
            try copyBinary(of: nobody, into: alone)
            chmod(alone, 0o711)
            // A working directory the user can neither list nor search, with a copy inside it
            // started by a relative path: the way `.build/debug/consentry` is started from a
            // clone in a private directory. Only setpriv can start it there (it changes user
            // after finding the file); if it cannot, that way is left out.
            let hidden = try nobody.tmp.makeDirectory("hidden")
            try copyBinary(of: nobody, into: hidden + "/bin")
            chmod(hidden, 0o700)

            var starts = [Start(label: "absolute path", executable: alone + "/consentry", directory: hidden)]
            let relative = Start(label: "relative path from the hidden directory", executable: "bin/consentry",
                                 directory: hidden)
            let probe = try nobody.run(["--version"], directory: relative.directory, executable: relative.executable,
                                       bare: true)
            if probe.exitCode != 126 && probe.exitCode != 127 {  // setpriv could not start it
                starts.append(relative)
            }

            for (index, start) in starts.enumerated() {
                func run(_ arguments: [String]) throws -> ProcessResult {
                    let r = try nobody.run(arguments, directory: start.directory, executable: start.executable, bare: true)
                    #expect(r.exitCode >= 0 && r.exitCode < 126 && !r.stderr.contains("crashed"),
                            "\(start.label): consentry \(arguments.joined(separator: " ")) did not exit by itself: \(r)")
                    return r
                }
                let version = try run(["--version"])
                #expect(version.exitCode == 0
                        && version.stdout.wholeMatch(of: /\S+ \(commit ([0-9a-f]{7,40}|unknown)(, modified)?\)\n/) != nil,
                        "\(start.label): \(version)")
                for arguments in [["--help"], ["help", "scan"], ["scan", "--help"], ["policy", "list"],
                                  ["policy", "show", "soundcloud-2025-05"], ["policy", "test", "--built-in"]] {
                    let r = try run(arguments)
                    #expect(r.exitCode == 0 && !r.stdout.isEmpty, "\(start.label): \(arguments): \(r)")
                }

                // The samples scan, and the readers read the result.
                let db = dbDirectory + "/results-\(index).sqlite"
                let scan = try run(["scan", sample, "--db", db, "--policy", "soundcloud-2025-05",
                                    "--policy", "soundcloud-opt-out", "--quiet", "--format", "json"])
                #expect(scan.exitCode == 0 && scan.stderr.isEmpty, "\(start.label): \(scan)")
                let report = try run(["report", "--db", db, "--format", "json"])
                let asRoot = try consentry(["report", "--db", db, "--format", "json"])
                #expect(report.exitCode == 0 && report.stdout == asRoot.stdout, "\(start.label): \(report)")
                for arguments in [["runs"], ["trend"], ["export", "--format", "cawg"]] {
                    let r = try run(arguments + ["--db", db])
                    #expect(r.exitCode == 0 && r.stderr.isEmpty, "\(start.label): \(arguments): \(r)")
                }

                // Failures the environment causes: a message naming the cause, and an exit code.
                let defaultDB = try run(["runs"])
                #expect(defaultDB.exitCode == 2 && defaultDB.stderr.contains("consentry.sqlite")
                        && defaultDB.stderr.contains("may not search the working directory \(hidden)"),
                        "\(start.label): \(defaultDB)")
                let relativeInput = try run(["scan", "export.csv", "--db", dbDirectory + "/refused.sqlite"])
                #expect(relativeInput.exitCode == 2 && relativeInput.stderr.contains("[input_unreadable]")
                        && relativeInput.stderr.contains("working directory"), "\(start.label): \(relativeInput)")
                let hiddenInput = try run(["scan", hidden + "/export.csv", "--db", dbDirectory + "/refused.sqlite"])
                #expect(hiddenInput.exitCode == 2 && hiddenInput.stderr.contains("cannot be searched by this user"),
                        "\(start.label): \(hiddenInput)")
                let missing = try run(["scan", nobody.tmp.file("inputs/missing.csv"), "--db", dbDirectory + "/refused.sqlite"])
                #expect(missing.exitCode == 2 && missing.stderr.contains("[input_not_found]"), "\(start.label): \(missing)")
                let policyFile = try run(["policy", "check", "mine.yaml"])
                #expect(policyFile.exitCode == 64 && policyFile.stderr.contains("working directory"),
                        "\(start.label): \(policyFile)")
                let unwritable = try run(["report", "--db", db, "--format", "html", "--output", "report.html"])
                #expect(unwritable.exitCode == 2 && unwritable.stderr.contains("working directory"),
                        "\(start.label): \(unwritable)")
                let usage = try run(["scan", "--no-such-option"])
                #expect(usage.exitCode == 64, "\(start.label): \(usage)")
            }
        }

        @Test func theVersionNamesTheCommitItWasBuiltFrom() throws {
            let r = try consentry(["--version"])
            #expect(r.exitCode == 0, "\(r)")
            let expected: String
            if let given = ProcessInfo.processInfo.environment["CONSENTRY_COMMIT"], !given.isEmpty {
                expected = given
            } else if let git = systemTool("git"),
                      let top = try? runProgram(git, ["-c", "safe.directory=*", "-C", Paths.repository.path,
                                                      "rev-parse", "--show-toplevel"]),
                      top.exitCode == 0,
                      URL(fileURLWithPath: top.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
                          .resolvingSymlinksInPath().path == Paths.repository.resolvingSymlinksInPath().path,
                      let head = try? runProgram(git, ["-c", "safe.directory=*", "-C", Paths.repository.path,
                                                       "rev-parse", "HEAD"]),
                      head.exitCode == 0 {
                expected = head.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            } else {
                expected = "unknown"  // a source tarball: no checkout to ask
            }
            #expect(r.stdout.contains("(commit \(expected))") || r.stdout.contains("(commit \(expected), modified)"),
                    "expected commit \(expected): \(r)")
        }

        /// Copies the binary (and the libraries ``AnotherUser`` had to put beside it, if any)
        /// into `directory`, which is created.
        private func copyBinary(of user: AnotherUser, into directory: String) throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            chmod(directory, 0o755)
            let bin = (user.binary as NSString).deletingLastPathComponent
            for name in try FileManager.default.contentsOfDirectory(atPath: bin) {
                try FileManager.default.copyItem(atPath: bin + "/" + name, toPath: directory + "/" + name)
            }
        }
    }
}
