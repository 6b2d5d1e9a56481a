/// How inputs are read: the options of contract §1 that shape parsing.
public struct InputOptions: Sendable {
    /// nil: decide per input (`auto`).
    public var format: InputFormat?
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// `--column FIELD=NAME` overrides.
    public var columns: [RecordField: String] = [:]
    /// Longer records are rejected (`record_too_long`); at most ``maxRecordBytesLimit``.
    public var maxRecordBytes = 1 << 20
    /// The largest `maxRecordBytes` (1 GiB): the decoders keep a field's place in its record
    /// in 32 bits, and a record is held whole in memory until its end.
    public static let maxRecordBytesLimit = 1 << 30
    /// `--label-map`: statuses for tracks whose record gives none.
    public var labelMap: LabelMap?
    /// Whether each track's `artist_id` is carried to the resolver: only history keeps
    /// artists, so a scan that stores none (`--store none`) skips copying and sorting them.
    /// A shard keeps them, since its merge decides what is stored.
    public var keepsArtists = true

    /// Whether the decoders read `field` at all: `artist_id` only when artists are kept.
    public func reads(_ field: RecordField) -> Bool { field != .artistID || keepsArtists }
    /// Size of the chunks of whole records handed to workers; at most ``chunkBytesLimit``.
    public var chunkBytes = 1 << 20
    /// The largest `chunkBytes` (256 MiB): a scan holds a few chunks per worker at once.
    public static let chunkBytesLimit = 1 << 28

    public init() {}
}
