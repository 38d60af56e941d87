import Foundation
import MeekCLI

exit(Meek.run())
