/*
 * bcryptprimitives.dll shim for the wine smoke tests only, never shipped.
 *
 * Go >= 1.24 binaries for Windows take their randomness from ProcessPrng in
 * bcryptprimitives.dll (present since Windows 10). Debian's wine 8 has no
 * such DLL, so markd.exe would die at start under wine. This shim exports
 * ProcessPrng on top of RtlGenRandom (advapi32 SystemFunction036), which
 * wine implements. scripts/wine-test.sh builds it with mingw-w64 and puts
 * it into the throw-away wine prefix's system32.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x10000000 ? 0x10000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}
