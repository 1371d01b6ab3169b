// zxbench times zxing-cpp (Debian libzxing-dev) decoding QR codes in raw
// 8-bit gray frames, in-process, for comparison with markd's Go path.
//
// Input on stdin, one frame per line: RAWFILE WIDTH HEIGHT EXPECTED_TEXT
// Output, one line per frame: RAWFILE<TAB>ms-per-decode<TAB>1|0 (decoded
// the expected text or not)<TAB>cpu-ms-per-decode (std::clock, process CPU
// time: steadier than the wall clock on a shared machine).
// Usage: zxbench ITERATIONS < list
#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
	int iters = argc > 1 ? std::atoi(argv[1]) : 5;
	if (iters < 1)
		iters = 1;
	ZXing::DecodeHints hints;
	hints.setFormats(ZXing::BarcodeFormat::QRCode);
	hints.setTryHarder(true);
	std::string line;
	while (std::getline(std::cin, line)) {
		std::istringstream in(line);
		std::string path, want;
		int w = 0, h = 0;
		if (!(in >> path >> w >> h >> want))
			continue;
		std::ifstream f(path, std::ios::binary);
		std::vector<uint8_t> pix((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
		if (pix.size() < size_t(w) * h) {
			std::cerr << path << ": short raw frame\n";
			return 1;
		}
		ZXing::ImageView view(pix.data(), w, h, ZXing::ImageFormat::Lum);
		bool ok = false;
		auto start = std::chrono::steady_clock::now();
		std::clock_t cpu = std::clock();
		for (int i = 0; i < iters; i++) {
			auto results = ZXing::ReadBarcodes(view, hints);
			ok = false;
			for (auto& r : results)
				if (r.isValid() && r.text() == want)
					ok = true;
		}
		auto el = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
		double elCPU = 1000.0 * double(std::clock() - cpu) / CLOCKS_PER_SEC;
		std::printf("%s\t%.3f\t%d\t%.3f\n", path.c_str(), el / iters, ok ? 1 : 0, elCPU / iters);
	}
	return 0;
}
