import Foundation
import PackagePlugin

/// Generates `BuildCommit.swift` for the target it is applied to: the git commit the package
/// was built from, for `consentry --version`.
///
/// The work is done by `Scripts/build-commit`, run with /bin/sh. It asks git for the commit
/// of the package's own checkout and rewrites the Swift file only when its text changes, so
/// a build with nothing new recompiles nothing. Outside a git checkout (a source tarball),
/// or without git, the commit is "unknown".
///
/// A build command with its inputs, not a prebuild command: SwiftPM reruns a prebuild
/// command only when it plans the build anew, so a commit that changed no source file left
/// `--version` naming the commit before it. The inputs are what the answer depends on: the
/// package's sources and manifest (whether the build is "modified") and the checkout's
/// `HEAD`, index and `HEAD` log (which commit; the log grows whenever `HEAD` moves).
@main
struct BuildCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let package = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appending(path: "generated").appending(path: "BuildCommit.swift")
        let script = package.appending(path: "Scripts/build-commit")
        // The script looks git up on PATH; CONSENTRY_COMMIT names the commit where there is
        // no checkout to ask (a container build from an exported tree).
        var environment: [String: String] = [:]
        for name in ["PATH", "CONSENTRY_COMMIT"] {
            if let value = ProcessInfo.processInfo.environment[name] { environment[name] = value }
        }
        var inputs = [script, package.appending(path: "Package.swift")]
        for case let module as SourceModuleTarget in context.package.targets {
            inputs += module.sourceFiles.map(\.url)
        }
        // Only files that exist: a missing input would fail the build (a tarball has no .git,
        // a worktree's .git is a file naming the real one).
        for name in ["HEAD", "index", "logs/HEAD"] {
            let url = package.appending(path: ".git").appending(path: name)
            if FileManager.default.fileExists(atPath: url.path) { inputs.append(url) }
        }
        return [
            .buildCommand(
                displayName: "Recording the git commit of \(context.package.displayName)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [script.path, package.path, output.path],
                environment: environment,
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
