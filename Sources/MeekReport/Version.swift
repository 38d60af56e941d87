/// The tool's version, recorded in every result's provenance.
public enum MeekVersion {
    public static let string = "0.1.0"
}
