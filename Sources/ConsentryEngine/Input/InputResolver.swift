import Foundation
import ConsentryModel

/// Expands `scan` arguments into the list of inputs in input order (contract §1).
public enum InputResolver {
    private static let suffixes = [".csv", ".jsonl", ".ndjson", ".xml"]

    /// Whether a directory entry is an input by its name.
    public static func isInputName(_ name: String) -> Bool {
        var lower = name.lowercased()
        if lower.hasSuffix(".gz") { lower.removeLast(3) }
        return suffixes.contains { lower.hasSuffix($0) }
    }

    /// Files stay as given, `-` is standard input, and a directory becomes its matching
    /// files (not recursive) in byte order of their names.
    public static func expand(_ arguments: [String]) throws -> [String] {
        guard !arguments.isEmpty else {
            throw InputError(.noInputs, "no input given", remedy: "name at least one file, directory or - for standard input", file: nil)
        }
        var result: [String] = []
        var stdinSeen = false
        for argument in arguments {
            if argument == "-" {
                guard !stdinSeen else {
                    throw InputError(.noInputs, "standard input (-) can be read only once per scan", file: "-")
                }
                stdinSeen = true
                result.append(argument)
                continue
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                if (try? FileManager.default.destinationOfSymbolicLink(atPath: argument)) != nil {
                    throw InputError(.notFound, "a symbolic link that leads nowhere (broken, or a link loop)", remedy: "fix the link or name the file it should point to", file: argument)
                }
                // A directory on the way that this user may not search is no missing file.
                var status = stat()
                if stat(argument, &status) != 0 && errno == EACCES {
                    throw InputError(.unreadable, "a directory on the path cannot be searched by this user (Permission denied)", remedy: "give this user access to the directories on the path, or copy the file to one it can read", file: argument)
                }
                throw InputError(.notFound, "no such file or directory", remedy: "check the path", file: argument)
            }
            guard isDirectory.boolValue else {
                result.append(argument)
                continue
            }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: argument)
            } catch {
                throw InputError(.unreadable, "cannot list the directory: \(FailureReason.of(error))", remedy: "check its permissions", file: argument)
            }
            let base = argument.hasSuffix("/") ? argument : argument + "/"
            var matching: [String] = []
            for name in names where isInputName(name) {
                // Not recursive: a subdirectory is no input even when its name ends in .csv.
                // An entry that cannot be followed (a symlink loop, a dangling link) is fatal,
                // so that no part of an export is skipped silently.
                var entryIsDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: base + name, isDirectory: &entryIsDirectory) else {
                    throw InputError(.unreadable, "the directory entry cannot be read (a broken symbolic link or a link loop)", remedy: "fix or remove it", file: base + name)
                }
                if !entryIsDirectory.boolValue { matching.append(name) }
            }
            matching.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            guard !matching.isEmpty else {
                throw InputError(.noInputs, "the directory holds no .csv, .jsonl, .ndjson or .xml file (optionally .gz)", remedy: "check that the export was written there", file: argument)
            }
            result.append(contentsOf: matching.map { base + $0 })
        }
        return result
    }
}
