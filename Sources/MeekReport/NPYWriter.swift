import Foundation
import MeekEngine

/// Writes the per-draw inputs and outputs as one NumPy `.npy` file holding a structured
/// array with a float64 field per column: `np.load("draws.npy")` reads it and
/// `pandas.DataFrame(np.load("draws.npy"))` makes a table. Rows are in draw order whatever
/// thread wrote them (each block goes to its own offset). "Never" is `inf`; "no lead" is
/// `nan` (not applicable). Written to a temporary file and renamed when complete.
public final class NPYWriter: DrawSink, @unchecked Sendable {
    public let path: String
    let temporary: String
    let fd: Int32
    let headerSize: Int
    let rowBytes: Int

    public init(path: String, columns: [String], rows: Int) throws(AtomicFile.Failure) {
        self.path = path
        temporary = AtomicFile.temporaryPath(for: path)
        let fields = columns.map { "('\($0)', '<f8')" }.joined(separator: ", ")
        var header = "{'descr': [\(fields)], 'fortran_order': False, 'shape': (\(rows),), }"
        // Magic (6) + version (2) + header length (2) + header, padded with spaces to a
        // multiple of 64 and ended by a newline.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = header.utf8.count
        guard length < 65536 else { throw AtomicFile.Failure(path: path, reason: "too many columns for an .npy header") }
        bytes += [UInt8(length & 0xff), UInt8(length >> 8)] + Array(header.utf8)
        headerSize = bytes.count
        rowBytes = 8 * columns.count
        fd = open(temporary, O_CREAT | O_TRUNC | O_WRONLY, 0o644)
        guard fd >= 0 else { throw AtomicFile.Failure(path: path, reason: String(cString: strerror(errno))) }
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, bytes.count, 0) }
        _ = ftruncate(fd, off_t(headerSize + rows * rowBytes))
    }

    public func write(block: Int, firstDraw: Int, rows: Int, values: UnsafeBufferPointer<Double>) {
        var buffer = Array(values)
        for i in buffer.indices where buffer[i] == -.infinity { buffer[i] = .nan }
        _ = buffer.withUnsafeBytes { pwrite(fd, $0.baseAddress, rows * rowBytes, off_t(headerSize + firstDraw * rowBytes)) }
    }

    /// Closes and renames the file into place (call after a successful run).
    public func commit() throws(AtomicFile.Failure) {
        close(fd)
        try AtomicFile.commit(temporary, to: path)
    }

    /// Removes the unfinished file (after a failed run).
    public func discard() {
        close(fd)
        unlink(temporary)
    }
}
