import Foundation
import MeekCLI
import MeekCPU

// A build tuned for AVX2 has already checked the CPU (MeekCPU's constructor); referencing
// it keeps that check linked in.
_ = meek_cpu_tuned()
exit(Meek.run())
