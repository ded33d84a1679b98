/*
 * Whether this kernel runs the i386 entry (int $0x80) for a 64-bit process. A kernel built
 * without CONFIG_IA32_EMULATION, or booted with ia32_emulation=0, answers int $0x80 with SIGSEGV;
 * the oracle then leaves the i386 and i386-socketcall entries unobserved instead of reporting them.
 * Exits 0 when int $0x80 getpid() returns our pid, 1 when it returns something else; dies by
 * SIGSEGV where the entry is off.
 */
#include <unistd.h>

/* getpid() through int $0x80 (i386 __NR_getpid), compared with our pid: see the file comment. */
int main(void)
{
	long ret = 20; /* __NR_getpid on i386 */

	__asm__ volatile("int $0x80" : "+a"(ret) : : "r8", "r9", "r10", "r11", "memory", "cc");
	return ret == (long)getpid() ? 0 : 1;
}
