import Foundation
import MeekPriors

/// The framing of meek's binary result files (shard partials): a magic tag, the payload,
/// and the SHA-256 of both as a trailer, so a truncated or corrupted file is detected before
/// anything in it is trusted.
public enum SealedFile {
    /// Magic + payload + SHA-256 of the two.
    public static func seal(magic: [UInt8], payload: [UInt8]) -> Data {
        let body = magic + payload
        return Data(body + SHA256.digest(body))
    }

    /// The payload of a sealed file, or why it cannot be trusted (`kind` names the file type
    /// in the message, e.g. "meek partial result").
    public static func open(_ path: String, magic: [UInt8], kind: String) -> Result<[UInt8], SealedFileProblem> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(SealedFileProblem(description: "\(path): cannot be read"))
        }
        let bytes = [UInt8](data)
        guard bytes.count > magic.count + 32, Array(bytes.prefix(magic.count)) == magic else {
            return .failure(SealedFileProblem(description: "\(path): not a \(kind)"))
        }
        let body = Array(bytes.dropLast(32))
        guard SHA256.digest(body) == Array(bytes.suffix(32)) else {
            return .failure(SealedFileProblem(description: "\(path): checksum mismatch (truncated or corrupted; rerun this shard)"))
        }
        return .success(Array(body.dropFirst(magic.count)))
    }
}

public struct SealedFileProblem: Error, CustomStringConvertible {
    public var description: String
}
