// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "consentry",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "consentry", targets: ["consentry"]),
        .library(name: "ConsentryCore", targets: ["ConsentryCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CISAL",
            path: "Sources/CISAL",
            pkgConfig: "libisal",
            providers: [.apt(["libisal-dev"])]
        ),
        .systemLibrary(
            name: "CCPU",
            path: "Sources/CCPU"
        ),
        .systemLibrary(
            name: "CFileIO",
            path: "Sources/CFileIO"
        ),
        .target(
            name: "ConsentryCore",
            dependencies: [
                "CISAL",
                "CCPU",
                "CFileIO",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Policy/BuiltIn")],
            swiftSettings: [
                // Dynamic exclusivity checks cost ~7% of a scan (TLS lookups per class property
                // access in the decoders' hot loops). Each decoder, processor and writer is used
                // by one thread at a time and shared pipeline state is guarded by a lock.
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]
        ),
        .executableTarget(
            name: "consentry",
            dependencies: [
                "ConsentryCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ConsentryCoreTests",
            dependencies: ["ConsentryCore", "CZlib", "CFileIO"]
        ),
        .testTarget(
            name: "ConsentryEndToEndTests",
            dependencies: ["ConsentryCore", "consentry"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
