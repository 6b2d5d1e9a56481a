import Foundation
import PackagePlugin

/// Generates `BuildCommit.swift` for the target it is applied to: the git commit the package
/// was built from, for `consentry --version`.
///
/// The work is done by `Scripts/build-commit`, run with /bin/sh before every build (a
/// prebuild command; SwiftPM allows these to run only programs that are already installed).
/// It asks git for the commit of the package's own checkout and rewrites the Swift file only
/// when its text changes, so a build with nothing new recompiles nothing. Outside a git
/// checkout (a source tarball), or without git, the commit is "unknown".
@main
struct BuildCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = context.package.directoryURL.appending(path: "Scripts/build-commit")
        // The script looks git up on PATH; CONSENTRY_COMMIT names the commit where there is
        // no checkout to ask (a container build from an exported tree).
        var environment: [String: String] = [:]
        for name in ["PATH", "CONSENTRY_COMMIT"] {
            if let value = ProcessInfo.processInfo.environment[name] { environment[name] = value }
        }
        return [
            .prebuildCommand(
                displayName: "Recording the git commit of \(context.package.displayName)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [script.path, context.package.directoryURL.path, output.appending(path: "BuildCommit.swift").path],
                environment: environment,
                outputFilesDirectory: output
            )
        ]
    }
}
