// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SoapySDR module "iioffsbridge": iio-ffs-bridge devices as SoapySDR RX
 * devices, over libifbhost (pull mode), and their output streams as TX
 * devices (libifbhost's writer).
 *
 * Streams: a board of protocol version 4 may serve several streams (IIO
 * buffers, one USB interface each, named in the daemon's config). Each
 * is a SoapySDR device of its own: enumerate returns one result per
 * stream, with a stream=NAME key, and make with stream=NAME opens that
 * one. Not one device with a channel per stream, because SoapySDR's
 * channels of one device share what our streams do not: one RX stream
 * activates them together and readStream hands them out sample for
 * sample at one rate, while each of our streams starts, stops, fails
 * and runs at its own rate (its own IIO device and sampling_frequency,
 * its own gaps). A one-stream device enumerates as before, without the
 * key and without being opened; stream=main also opens an older
 * daemon's one stream.
 *
 * Channels are the scan's fields (ifbh_layout_fields): an I/Q pair is one
 * complex channel, read as CS16, CF32 or its native complex format (CS16,
 * CU16, CS8, ...); any other channel is a real one, read as F32 or its
 * native format (S16, U16, ...), and also as CS16 or CF32 with the
 * sample in I and Q = 0: applications that ask only for complex formats
 * (GNU Radio's Soapy source, GQRX) can use a real-sampling ADC. The device argument
 * iq=device|name|adjacent|none chooses how channels pair; the default is
 * device (the pairs of the daemon's [iio] iq, protocol version 3) when the
 * device names any, else name ("X_i" with "X_q").
 *
 * Sample rate: getSampleRate is GET_INFO's; setSampleRate (no stream
 * active) sets the IIO device's sampling_frequency through the daemon
 * (protocol version 3; older daemons: an error) and reads back what the
 * driver took; getSampleRateRange is what the protocol accepts (1 mHz to
 * 1 THz, the driver may refuse or round) for a version-3 device, the
 * current rate alone for older ones; listSampleRates the current rate.
 *
 * Values: the IIO sample (after its shift, masked to its bits, sign
 * extended) v; CS16 is v scaled to 16 bits (unsigned samples offset to
 * be centred first: v - 2^(bits-1)), CF32 the same as a fraction of full
 * scale, native the value v itself.
 *
 * Transmit: an output stream (protocol version 5, a DAC's) is a device of
 * its own too, with TX channels and none for RX: enumerate lists output
 * streams always named (stream=NAME, direction=tx; direction=rx|tx narrows
 * enumerate and make), from a list of their own, so a board's input stream
 * enumerates and opens without arguments as before. Not RX and TX of one
 * device, for the reason above: an output stream starts, stops, ends and
 * runs at its own rate. GNU Radio's Soapy source and sink, and scripts,
 * each make their device (stream=rx, stream=tx). setupStream(SOAPY_SDR_TX)
 * takes the RX formats, converted the other way (CS16 scaled down to the
 * channel's bits, unsigned channels offset by half their range, clamped;
 * CF32 as a fraction of full scale; native values as they are; a real
 * channel plays I, Q dropped); channels not in the stream play their zero.
 * activateStream STARTs (a libifbhost writer); writeStream converts up to
 * the MTU of scans and returns how many the writer took in the timeout
 * (fewer: a partial write; none: SOAPY_SDR_TIMEOUT); SOAPY_SDR_END_BURST
 * on a write that took the last element ends the stream: the rest, STOP
 * with its end, and the wait until the DAC has played it (up to 60 s);
 * the next writeStream STARTs a new stream (the burst's offsets count from
 * 0 again). deactivateStream ends a burst the same way. Every underflow
 * the device reports (GET_STATS, GET_GAPS) is one SOAPY_SDR_UNDERFLOW from
 * readStreamStatus, with timeNs the scan where playing resumed (in its
 * burst) when the offset is known; readStreamStatus polls the writer while
 * it waits (that timeNs counts from the burst's start, not hardware
 * time). Timed transmit (protocol version 6, zero-copy streams):
 * SOAPY_SDR_HAS_TIME on the first writeStream of a burst (the stream
 * activateStream STARTed, still empty, is ended for it) starts it at that
 * hardware time (the board's CLOCK_MONOTONIC + the setHardwareTime offset:
 * libifbhost's ifbh_writer_start_at); the device holds its DAC until
 * then. A burst the device could not start then (nothing had arrived, or
 * the time was past by more than a millisecond: docs/protocol.md "Timed
 * bursts") is not played at all: the writeStream or END_BURST that learns
 * it returns SOAPY_SDR_TIME_ERROR, the burst is over, and readStreamStatus
 * returns SOAPY_SDR_TIME_ERROR once, timeNs the time asked for. The time
 * on later writes of a burst is ignored (they follow the first).
 *
 * Gaps: libifbhost never returns data across a gap the device reported;
 * the read that would start at one returns SOAPY_SDR_OVERFLOW instead, and
 * the next read returns the data after the gap.
 *
 * Time. A device of protocol version 6 has hardware time: the board's
 * CLOCK_MONOTONIC in ns, plus the offset setHardwareTime() chose
 * (hasHardwareTime() says so; getHardwareTime() reads the board's clock
 * through the GET_CLOCK estimate, within half a control round trip).
 * readStream's timeNs is the hardware time at which the first element
 * returned was taken, from the stream's time model (the converter's
 * per-block completion times: libifbhost's ifbh_stream_board_time), with
 * SOAPY_SDR_HAS_TIME; after a gap it is the board's time for the data
 * after it, whatever the gap lost. With an older device, timeNs is the
 * stream's scan index times 1e9 / the nominal sample rate (HAS_TIME when
 * the rate is known), no hardware time.
 */
#include <SoapySDR/Device.hpp>
#include <SoapySDR/Errors.hpp>
#include <SoapySDR/Formats.hpp>
#include <SoapySDR/Logger.hpp>
#include <SoapySDR/Registry.hpp>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <time.h>

#include <ifbhost.h>

namespace {

const char *const DRIVER = "iioffsbridge";

struct CtxDeleter {
	void operator()(ifbh_ctx *c) const { ifbh_ctx_free(c); }
};
struct ListDeleter {
	void operator()(ifbh_list *l) const { ifbh_list_free(l); }
};
using CtxPtr = std::unique_ptr<ifbh_ctx, CtxDeleter>;
using ListPtr = std::unique_ptr<ifbh_list, ListDeleter>;

CtxPtr new_ctx()
{
	ifbh_ctx *c = nullptr;
	int ret = ifbh_ctx_new(&c);

	if (ret)
		throw std::runtime_error(std::string("iioffsbridge: libusb: ") + strerror(-ret));
	return CtxPtr(c);
}

ifbh_match match_from(const SoapySDR::Kwargs &args)
{
	ifbh_match m{};
	auto s = args.find("serial");
	auto p = args.find("path");

	m.serial = s != args.end() && !s->second.empty() ? s->second.c_str() : nullptr;
	m.path = p != args.end() && !p->second.empty() ? p->second.c_str() : nullptr;
	return m;
}

/*
 * The streams this process has open, by bus path and interface: a claimed
 * interface cannot be opened again to ask its name, and SoapySDR's make
 * enumerates first (its result must still name the stream, or the device
 * table would take another stream's device for it).
 */
class OpenStreams {
public:
	void add(const ifbh_device_desc *d, const std::string &name)
	{
		std::lock_guard<std::mutex> g(m_);
		names_[key(d)] = name;
	}
	void remove(const ifbh_device_desc *d)
	{
		std::lock_guard<std::mutex> g(m_);
		names_.erase(key(d));
	}
	bool find(const ifbh_device_desc *d, std::string &name)
	{
		std::lock_guard<std::mutex> g(m_);
		auto it = names_.find(key(d));

		if (it == names_.end())
			return false;
		name = it->second;
		return true;
	}

private:
	static std::string key(const ifbh_device_desc *d)
	{
		return std::string(d->path) + "#" + std::to_string(d->iface);
	}
	std::mutex m_;
	std::map<std::string, std::string> names_;
};

OpenStreams &open_streams()
{
	static OpenStreams s;
	return s;
}

/* Does entry i's device serve several streams (several entries)? */
bool several_streams(const ifbh_list *l, size_t i)
{
	auto same = [l, i](size_t j) {
		return j < ifbh_list_count(l) &&
		       !strcmp(ifbh_list_get(l, i)->path, ifbh_list_get(l, j)->path);
	};
	return (i > 0 && same(i - 1)) || same(i + 1);
}

/* The name of entry i's stream ("" before protocol version 4), opening it
 * to ask, or as this process holds it; false (and why) when neither. */
bool stream_name(ifbh_ctx *ctx, const ifbh_list *l, size_t i, std::string &name,
		 std::string &why)
{
	ifbh_dev *dev = nullptr;

	if (open_streams().find(ifbh_list_get(l, i), name))
		return true;
	if (ifbh_dev_open(ctx, l, i, &dev)) {
		why = ifbh_ctx_error(ctx);
		why = why.substr(0, why.find('\n'));
		return false;
	}
	name = ifbh_dev_stream_name(dev);
	ifbh_dev_close(dev);
	return true;
}

/* direction=rx|tx narrows enumerate and make to one direction. */
unsigned int find_dirs(const SoapySDR::Kwargs &args)
{
	auto d = args.find("direction");

	if (d == args.end() || d->second.empty())
		return IFBH_FIND_IN | IFBH_FIND_OUT;
	if (d->second == "rx")
		return IFBH_FIND_IN;
	if (d->second == "tx")
		return IFBH_FIND_OUT;
	throw std::runtime_error("iioffsbridge: direction=" + d->second + ": expected rx or tx");
}

void enumerate_list(ifbh_ctx *ctx, const ifbh_list *l, const SoapySDR::Kwargs &args, bool tx,
		    SoapySDR::KwargsList &out);

SoapySDR::KwargsList find_ifb(const SoapySDR::Kwargs &args)
{
	SoapySDR::KwargsList out;
	auto d = args.find("driver");

	if (d != args.end() && d->second != DRIVER)
		return out;
	try {
		CtxPtr ctx = new_ctx();
		ifbh_match m = match_from(args);
		ifbh_list *l = nullptr;
		unsigned int dirs = find_dirs(args);

		if (dirs & IFBH_FIND_IN) {
			if (ifbh_find(ctx.get(), &m, &l))
				return out;
			ListPtr list(l);
			enumerate_list(ctx.get(), l, args, false, out);
		}
		/* output streams (protocol version 5) in a list of their own, so
		 * that a board's input stream enumerates as it did before */
		if (dirs & IFBH_FIND_OUT && !ifbh_find_streams(ctx.get(), &m, IFBH_FIND_OUT, &l)) {
			ListPtr list(l);
			enumerate_list(ctx.get(), l, args, true, out);
		}
	} catch (const std::exception &e) {
		SoapySDR::logf(SOAPY_SDR_ERROR, "%s", e.what());
	}
	return out;
}

/* One result per entry of l (all input streams, or all output ones). */
void enumerate_list(ifbh_ctx *ctx, const ifbh_list *l, const SoapySDR::Kwargs &args, bool tx,
		    SoapySDR::KwargsList &out)
{
	auto want = args.find("stream");

	{
		for (size_t i = 0; i < ifbh_list_count(l); i++) {
			const ifbh_device_desc *dd = ifbh_list_get(l, i);
			/* an output stream is always named: make without stream=
			 * opens a board's input stream, as before outputs existed */
			bool named = tx || several_streams(l, i) || want != args.end();
			std::string name, why;
			SoapySDR::Kwargs k;
			char id[16];

			k["driver"] = DRIVER;
			k["path"] = dd->path;
			snprintf(id, sizeof(id), "%04x:%04x", dd->vid, dd->pid);
			k["vid:pid"] = id;
			if (dd->strings_ok) {
				k["serial"] = dd->serial;
				k["label"] = std::string("iio-ffs-bridge ") + dd->product + " [" +
					     dd->serial + "]";
			} else {
				k["label"] = std::string("iio-ffs-bridge at ") + dd->path;
			}
			if (tx)
				k["direction"] = "tx";
			/* a one-stream device is not opened unless a stream is asked for */
			if (named && stream_name(ctx, l, i, name, why)) {
				if (name.empty())
					name = "main"; /* an older daemon's one stream */
				if (want != args.end() && want->second != name)
					continue;
				k["stream"] = name;
				k["label"] += (tx ? " TX stream " : " stream ") + name;
			} else if (named) {
				if (want != args.end())
					continue; /* cannot tell: make would say why */
				k["label"] += " interface " + std::to_string(dd->iface) + " (" + why + ")";
			}
			out.push_back(k);
		}
	}
}

/* One sample of a field component as its IIO value. */
int64_t sample(const uint8_t *p, const ifbh_channel &c)
{
	unsigned int n = c.storage_bits / 8;
	uint64_t raw = 0;

	for (unsigned int i = 0; i < n; i++)
		raw |= (uint64_t)p[c.is_be ? i : n - 1 - i] << (8 * (n - 1 - i));
	raw >>= c.shift;
	if (c.bits < 64)
		raw &= (UINT64_C(1) << c.bits) - 1;
	if (c.is_signed && c.bits < 64 && (raw >> (c.bits - 1)) & 1)
		return (int64_t)(raw | ~((UINT64_C(1) << c.bits) - 1));
	return (int64_t)raw;
}

/* v centred (unsigned samples offset) and as a fraction of full scale. */
double centred(int64_t v, const ifbh_channel &c)
{
	double half = std::ldexp(1.0, (int)c.bits - 1);

	return c.is_signed ? (double)v : (double)v - half;
}

int16_t to_s16(int64_t v, const ifbh_channel &c)
{
	double x = centred(v, c) * std::ldexp(1.0, 16 - (int)c.bits);

	if (x > 32767)
		x = 32767;
	if (x < -32768)
		x = -32768;
	return (int16_t)std::lrint(x);
}

float to_f32(int64_t v, const ifbh_channel &c)
{
	return (float)(centred(v, c) / std::ldexp(1.0, (int)c.bits - 1));
}

/* The IIO value of a centred sample x (unsigned: offset back), clamped. */
int64_t uncentred(double x, const ifbh_channel &c)
{
	double half = std::ldexp(1.0, (int)c.bits - 1);
	double lo = c.is_signed ? -half : 0.0, hi = c.is_signed ? half - 1 : 2 * half - 1;

	x = std::nearbyint(c.is_signed ? x : x + half);
	return (int64_t)std::min(std::max(x, lo), hi);
}

int64_t from_s16(int16_t x, const ifbh_channel &c)
{
	return uncentred((double)x * std::ldexp(1.0, (int)c.bits - 16), c);
}

int64_t from_f32(float x, const ifbh_channel &c)
{
	return uncentred((double)x * std::ldexp(1.0, (int)c.bits - 1), c);
}

/* sample()'s inverse: the IIO value v into its storage at p. */
void store(uint8_t *p, const ifbh_channel &c, int64_t v)
{
	unsigned int n = c.storage_bits / 8;
	uint64_t raw = (uint64_t)v;

	if (c.bits < 64)
		raw &= (UINT64_C(1) << c.bits) - 1;
	raw <<= c.shift;
	for (unsigned int i = 0; i < n; i++)
		p[c.is_be ? n - 1 - i : i] = (uint8_t)(raw >> (8 * i));
}

/* Element idx of a native-format buffer (put()'s inverse), sign extended. */
int64_t get_native(const void *in, size_t idx, unsigned int bytes, bool is_signed)
{
	switch (bytes) {
	case 1:
		return is_signed ? (int64_t) static_cast<const int8_t *>(in)[idx]
				 : (int64_t) static_cast<const uint8_t *>(in)[idx];
	case 2:
		return is_signed ? (int64_t) static_cast<const int16_t *>(in)[idx]
				 : (int64_t) static_cast<const uint16_t *>(in)[idx];
	case 4:
		return is_signed ? (int64_t) static_cast<const int32_t *>(in)[idx]
				 : (int64_t) static_cast<const uint32_t *>(in)[idx];
	default:
		return (int64_t) static_cast<const uint64_t *>(in)[idx];
	}
}

enum class Fmt { NATIVE, CS16, CF32, F32 };

/* An underflow the device reported, for readStreamStatus. */
struct Underflow {
	uint64_t offset; /* stream offset where playing resumed */
	bool exact;
};

struct Stream {
	bool tx = false;
	ifbh_stream *s = nullptr;
	std::vector<size_t> chans;
	Fmt fmt = Fmt::NATIVE;
	std::vector<uint8_t> buf; /* scans read but not yet returned */
	size_t pos = 0, count = 0; /* scans: next to return, held */
	uint64_t offset = 0;       /* stream offset of buf's first held scan */
	bool overflow_told = false;
	size_t mtu = 0;
	/* TX: the writer of the current burst (none between a burst's
	 * END_BURST and the next writeStream), a scan with every field at
	 * its zero (the channels not in the stream), underflows not yet
	 * told; mutex: readStreamStatus may run on another thread */
	bool active = false;
	ifbh_writer *w = nullptr;
	std::vector<uint8_t> blank;
	std::deque<Underflow> underflows;
	/* a timed burst (0: at once) and one found late, for readStreamStatus */
	long long at_hw_ns = 0;
	bool late = false;
	long long late_hw_ns = 0;
	std::mutex mutex;
};

class IfbDevice : public SoapySDR::Device {
public:
	explicit IfbDevice(const SoapySDR::Kwargs &args) : ctx_(new_ctx())
	{
		ifbh_match m = match_from(args);
		ifbh_list *l = nullptr;
		enum ifbh_iq iq = IFBH_IQ_BY_NAME;
		auto a = args.find("iq");
		bool iq_default = a == args.end();
		size_t n = 0;

		if (a != args.end()) {
			if (a->second == "device")
				iq = IFBH_IQ_DEVICE;
			else if (a->second == "adjacent")
				iq = IFBH_IQ_ADJACENT;
			else if (a->second == "none")
				iq = IFBH_IQ_NONE;
			else if (a->second != "name")
				throw std::runtime_error("iioffsbridge: iq=" + a->second +
							 ": expected device, name, adjacent or none");
		}
		if (find(args, m, &l))
			throw std::runtime_error(std::string("iioffsbridge: ") +
						 ifbh_ctx_error(ctx_.get()));
		ListPtr list(l);
		open(l, args);
		tx_ = ifbh_dev_direction(dev_) == IFBH_DIRECTION_OUT;
		info_ = *ifbh_dev_info(dev_);
		for (unsigned int i = 0; iq_default && i < info_.num_channels; i++)
			if (info_.ch[i].iq)
				iq = IFBH_IQ_DEVICE;
		fields_.resize(IFBH_MAX_CHANNELS);
		if (ifbh_layout_fields(&info_, iq, fields_.data(), fields_.size(), &n)) {
			close_dev();
			throw std::runtime_error("iioffsbridge: the channels do not pair as iq=" +
						 (a != args.end() ? a->second
								  : std::string(iq == IFBH_IQ_DEVICE ? "device"
												     : "name")));
		}
		fields_.resize(n);
	}

	~IfbDevice() override
	{
		close_dev();
	}

	std::string getDriverKey() const override { return DRIVER; }

	/* Hardware time: the board's CLOCK_MONOTONIC + hw_offset_ (protocol 6). */
	bool hasHardwareTime(const std::string &what) const override
	{
		return what.empty() && info_.version >= 6;
	}

	long long getHardwareTime(const std::string &what) const override
	{
		ifbh_time_model m{};
		struct timespec now;

		m.size = sizeof(m);
		if (!hasHardwareTime(what))
			return 0;
		/*
		 * While a stream runs (from activateStream's start to
		 * deactivateStream's free), its reader thread owns the
		 * device's libusb events and the stream (libifbhost: one
		 * thread per context): the estimate the reader last kept
		 * (keep_clock), no USB request and no call into the stream
		 * from this thread. Otherwise four round trips now.
		 */
		if (rx_active_.load()) {
			std::lock_guard<std::mutex> g(clock_m_);

			m = rx_clock_;
		} else {
			/* a TX stream's writeStream holds its mutex: not at once */
			std::unique_lock<std::mutex> g;

			if (stream_)
				g = std::unique_lock<std::mutex>(stream_->mutex);
			if (ifbh_dev_clock(dev_, 4, &m) < 0) {
				SoapySDR::logf(SOAPY_SDR_ERROR, "iioffsbridge: %s", ifbh_dev_error(dev_));
				return 0;
			}
		}
		if (!m.clock_known)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t host = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec, off;
		/* host - board as of now: the estimate moves with the drift once
		 * the stream has measured it */
		if (ifbh_time_model_offset(&m, host, &off, nullptr) < 0)
			return 0;
		return host - off + hw_offset_.load();
	}

	void setHardwareTime(const long long timeNs, const std::string &what) override
	{
		if (!hasHardwareTime(what))
			return;
		hw_offset_ += timeNs - getHardwareTime(what);
	}

	std::string getHardwareKey() const override { return info_.device_name; }

	SoapySDR::Kwargs getHardwareInfo() const override
	{
		const ifbh_device_desc *d = ifbh_dev_desc(dev_);
		SoapySDR::Kwargs k;

		k["iio_device"] = info_.device_name;
		k["mode"] = ifbh_mode_name(info_.mode);
		k["block_size"] = std::to_string(info_.block_size);
		k["block_count"] = std::to_string(info_.block_count);
		k["scan_size"] = std::to_string(info_.scan_size);
		k["usb_path"] = d->path;
		k["serial"] = d->serial;
		k["stream"] = ifbh_dev_stream_name(dev_);
		k["stream_index"] = std::to_string(ifbh_dev_stream_index(dev_));
		k["stream_count"] = std::to_string(ifbh_dev_stream_count(dev_));
		k["direction"] = tx_ ? "tx" : "rx";
		for (size_t i = 0; i < fields_.size(); i++)
			k["channel" + std::to_string(i)] =
				std::string(fields_[i].name) + (fields_[i].iq ? " (I/Q)" : "");
		return k;
	}

	size_t getNumChannels(const int dir) const override
	{
		return dir == (tx_ ? SOAPY_SDR_TX : SOAPY_SDR_RX) ? fields_.size() : 0;
	}

	std::string getNativeStreamFormat(const int, const size_t ch, double &fullScale) const override
	{
		const ifbh_field &f = field(ch);
		const ifbh_channel &c = info_.ch[f.ch];

		fullScale = std::ldexp(1.0, (int)c.bits - (c.is_signed ? 1 : 0));
		return std::string(f.iq ? "C" : "") + (f.is_signed ? "S" : "U") +
		       std::to_string(8 * f.bytes);
	}

	std::vector<std::string> getStreamFormats(const int dir, const size_t ch) const override
	{
		double fs;
		std::string native = getNativeStreamFormat(dir, ch, fs);

		if (field(ch).iq)
			return { SOAPY_SDR_CS16, SOAPY_SDR_CF32, native };
		/* real: complex with Q = 0 as well, for complex-only applications */
		return { SOAPY_SDR_F32, SOAPY_SDR_CS16, SOAPY_SDR_CF32, native };
	}

	double getSampleRate(const int, const size_t) const override
	{
		return (double)info_.sample_rate_mhz / 1000.0;
	}

	std::vector<double> listSampleRates(const int d, const size_t c) const override
	{
		return { getSampleRate(d, c) };
	}

	SoapySDR::RangeList getSampleRateRange(const int d, const size_t c) const override
	{
		if (info_.version >= 3)
			return { SoapySDR::Range(1e-3, 1e12) };
		return { SoapySDR::Range(getSampleRate(d, c), getSampleRate(d, c)) };
	}

	void setSampleRate(const int, const size_t, const double rate) override
	{
		uint64_t took = 0;
		double mhz = std::round(rate * 1000.0);
		int ret;

		if (stream_ && (stream_->s || stream_->w))
			throw std::runtime_error("iioffsbridge: setSampleRate while the stream is "
						 "active: deactivate it first");
		if (!(mhz >= 1.0 && mhz <= 1e15))
			throw std::runtime_error("iioffsbridge: sample rate " + std::to_string(rate) +
						 " Hz: expected 0.001 Hz to 1 THz");
		ret = ifbh_dev_set_sample_rate(dev_, (uint64_t)mhz, &took);
		if (ret)
			throw std::runtime_error(std::string("iioffsbridge: setSampleRate: ") +
						 ifbh_dev_error(dev_));
		/* the library keeps the layout of open (-ESTALE above if it
		 * changed): the fields built from it stay right */
		info_ = *ifbh_dev_info(dev_);
		SoapySDR::logf(SOAPY_SDR_INFO, "iioffsbridge: sample rate %.3f Hz (asked %.3f)",
			       (double)took / 1000.0, rate);
	}

	SoapySDR::Stream *setupStream(const int dir, const std::string &format,
				      const std::vector<size_t> &channels,
				      const SoapySDR::Kwargs &) override
	{
		auto st = std::make_unique<Stream>();

		if (dir != (tx_ ? SOAPY_SDR_TX : SOAPY_SDR_RX))
			throw std::runtime_error(
				tx_ ? "iioffsbridge: an output stream: transmit (SOAPY_SDR_TX) only"
				    : "iioffsbridge: an input stream: receive (SOAPY_SDR_RX) only; "
				      "a board's output streams are devices of their own "
				      "(stream=NAME, direction=tx)");
		if (stream_)
			throw std::runtime_error("iioffsbridge: one stream at a time");
		st->chans = channels.empty() ? std::vector<size_t>{ 0 } : channels;
		for (size_t ch : st->chans) {
			double fs;
			const ifbh_field &f = field(ch);
			std::string native = getNativeStreamFormat(dir, ch, fs);

			if (format == native)
				st->fmt = Fmt::NATIVE;
			else if (format == SOAPY_SDR_CS16) /* real: Q = 0 */
				st->fmt = Fmt::CS16;
			else if (format == SOAPY_SDR_CF32)
				st->fmt = Fmt::CF32;
			else if (!f.iq && format == SOAPY_SDR_F32)
				st->fmt = Fmt::F32;
			else
				throw std::runtime_error("iioffsbridge: channel " + std::to_string(ch) +
							 " cannot stream " + format);
			if (f.count != 1)
				throw std::runtime_error("iioffsbridge: channel " + std::to_string(ch) +
							 " repeats within a scan: not supported");
		}
		st->tx = tx_;
		if (tx_) {
			/* the channels not streamed play their zero */
			st->blank.assign(info_.scan_size, 0);
			for (const ifbh_field &f : fields_)
				for (unsigned int k = 0; k < (f.iq ? 2u : 1u); k++) {
					const ifbh_channel &c = info_.ch[k ? f.ch_q : f.ch];

					for (unsigned int r = 0; r < f.count; r++)
						store(st->blank.data() + f.offset +
							      (r * (f.iq ? 2 : 1) + k) * f.bytes,
						      c, c.is_signed ? 0 : uncentred(0.0, c));
				}
		}
		stream_ = st.release();
		return reinterpret_cast<SoapySDR::Stream *>(stream_);
	}

	void closeStream(SoapySDR::Stream *s) override
	{
		Stream *st = reinterpret_cast<Stream *>(s);

		deactivateStream(s, 0, 0);
		delete st;
		stream_ = nullptr;
	}

	size_t getStreamMTU(SoapySDR::Stream *) const override
	{
		/* one default transfer (1 MiB) of scans */
		return (1u << 20) / info_.scan_size;
	}

	int activateStream(SoapySDR::Stream *s, const int, const long long, const size_t) override
	{
		Stream *st = reinterpret_cast<Stream *>(s);

		if (st->tx) {
			std::lock_guard<std::mutex> g(st->mutex);

			if (st->active)
				return 0;
			st->mtu = getStreamMTU(s);
			st->buf.resize(st->mtu * info_.scan_size);
			if (start_writer(st, 0))
				return SOAPY_SDR_STREAM_ERROR;
			st->active = true;
			return 0;
		}
		if (st->s)
			return 0;
		/* from here the device's libusb events are this thread's:
		 * getHardwareTime answers from the kept estimate (none yet) */
		{
			std::lock_guard<std::mutex> g(clock_m_);

			rx_clock_ = ifbh_time_model{};
		}
		rx_active_ = true;
		if (ifbh_stream_new(dev_, nullptr, &st->s)) {
			SoapySDR::logf(SOAPY_SDR_ERROR, "iioffsbridge: %s", ifbh_dev_error(dev_));
			rx_active_ = false;
			return SOAPY_SDR_STREAM_ERROR;
		}
		if (ifbh_stream_start(st->s)) {
			SoapySDR::logf(SOAPY_SDR_ERROR, "iioffsbridge: %s", ifbh_dev_error(dev_));
			ifbh_stream_free(st->s);
			st->s = nullptr;
			rx_active_ = false;
			return SOAPY_SDR_STREAM_ERROR;
		}
		/* START may have read a new rate (the library retries START
		 * after a device-side rate change; never a new layout) */
		info_.sample_rate_mhz = ifbh_dev_info(dev_)->sample_rate_mhz;
		keep_clock(st);
		st->mtu = getStreamMTU(s);
		st->buf.resize(st->mtu * info_.scan_size);
		st->pos = st->count = 0;
		st->overflow_told = false;
		return 0;
	}

	/*
	 * The RX stream's clock estimate, for getHardwareTime on any thread:
	 * taken on the reader's thread (the stream's, which refines it once a
	 * second), after START and after each read.
	 */
	void keep_clock(Stream *st)
	{
		ifbh_time_model m{};

		m.size = sizeof(m);
		if (info_.version < 6 || ifbh_stream_time_model(st->s, &m) < 0)
			m.clock_known = 0;
		std::lock_guard<std::mutex> g(clock_m_);
		rx_clock_ = m;
	}

	int deactivateStream(SoapySDR::Stream *s, const int, const long long) override
	{
		Stream *st = reinterpret_cast<Stream *>(s);

		if (st->tx) {
			std::lock_guard<std::mutex> g(st->mutex);

			/* what was written is played, as END_BURST would */
			st->active = false;
			return end_writer(st) ? SOAPY_SDR_STREAM_ERROR : 0;
		}
		if (!st->s)
			return 0;
		ifbh_stream_stop(st->s);
		/* what was in flight up to the end-of-stream packet */
		while (ifbh_stream_read(st->s, st->buf.data(), st->buf.size(), nullptr, 3000) > 0)
			;
		ifbh_stream_free(st->s);
		st->s = nullptr;
		/* the device's events are nobody's again */
		rx_active_ = false;
		return 0;
	}

	int readStream(SoapySDR::Stream *s, void *const *buffs, const size_t numElems, int &flags,
		       long long &timeNs, const long timeoutUs) override
	{
		Stream *st = reinterpret_cast<Stream *>(s);
		size_t n;

		flags = 0;
		if (st->tx)
			return SOAPY_SDR_NOT_SUPPORTED;
		if (!st->s)
			return SOAPY_SDR_TIMEOUT;
		if (st->pos == st->count) {
			ifbh_read_info ri{};
			ssize_t got = ifbh_stream_read_scans(st->s, st->buf.data(), st->mtu, &ri,
							     (int)((timeoutUs + 999) / 1000));

			if (got == -EAGAIN)
				return SOAPY_SDR_TIMEOUT;
			if (got <= 0) {
				SoapySDR::logf(SOAPY_SDR_ERROR, "iioffsbridge: %s",
					       got ? ifbh_dev_error(dev_) : "the stream ended");
				return SOAPY_SDR_STREAM_ERROR;
			}
			st->pos = 0;
			st->count = (size_t)got;
			st->offset = ri.offset;
			st->overflow_told = !ri.gap;
			keep_clock(st);
		}
		if (!st->overflow_told) {
			/* samples are missing right before these */
			st->overflow_told = true;
			return SOAPY_SDR_OVERFLOW;
		}
		n = std::min(numElems, st->count - st->pos);
		for (size_t k = 0; k < st->chans.size(); k++)
			convert(st, field(st->chans[k]), buffs[k], n);
		if (info_.version >= 6) {
			int64_t t;

			/* known for what a read returned (libifbhost fetches the
			 * marks before it settles the data) */
			if (ifbh_stream_board_time(st->s, st->offset + st->pos * info_.scan_size, &t) == 0) {
				timeNs = (long long)t + hw_offset_.load();
				flags |= SOAPY_SDR_HAS_TIME;
			}
		} else if (info_.sample_rate_mhz) {
			uint64_t scan = st->offset / info_.scan_size + st->pos;

			timeNs = (long long)std::llround((double)scan * 1e12 /
							 (double)info_.sample_rate_mhz);
			flags |= SOAPY_SDR_HAS_TIME;
		}
		st->pos += n;
		return (int)n;
	}

	int writeStream(SoapySDR::Stream *s, const void *const *buffs, const size_t numElems,
			int &flags, const long long timeNs, const long timeoutUs) override
	{
		Stream *st = reinterpret_cast<Stream *>(s);
		std::lock_guard<std::mutex> g(st->mutex);
		size_t n;
		ssize_t got = 0;

		if (!st->tx)
			return SOAPY_SDR_NOT_SUPPORTED;
		if (!st->active)
			return SOAPY_SDR_STREAM_ERROR;
		/* an END_BURST alone after a burst's end: nothing to end */
		if (!st->w && !numElems)
			return 0;
		/* a first write with a time: the stream activateStream STARTed
		 * (empty still) gives way to a timed one */
		if (st->w && (flags & SOAPY_SDR_HAS_TIME) && !ifbh_writer_status(st->w)->queued) {
			int r = end_writer(st);

			if (r)
				return r;
		}
		/* after an END_BURST, the next burst is a new stream (START), at
		 * a hardware time if its first write has one */
		if (!st->w) {
			int r = start_writer(st, (flags & SOAPY_SDR_HAS_TIME) ? timeNs : 0);

			if (r)
				return r;
		}
		n = std::min(numElems, st->mtu);
		if (n) {
			for (size_t i = 0; i < n; i++)
				memcpy(st->buf.data() + i * info_.scan_size, st->blank.data(),
				       info_.scan_size);
			for (size_t k = 0; k < st->chans.size(); k++)
				unconvert(st, field(st->chans[k]), buffs[k], n);
			got = ifbh_writer_write_scans(st->w, st->buf.data(), n, ms(timeoutUs));
			if (got == -EAGAIN)
				return SOAPY_SDR_TIMEOUT;
			if (got == -ETIME) /* late: the burst is over */
				return end_writer(st);
			if (got < 0) {
				SoapySDR::logf(SOAPY_SDR_ERROR, "iioffsbridge: %s", ifbh_dev_error(dev_));
				return SOAPY_SDR_STREAM_ERROR;
			}
		}
		/* the burst ends with its last element: a partial write leaves
		 * the rest (and the flag) to the next call */
		if ((flags & SOAPY_SDR_END_BURST) && (size_t)got == numElems) {
			int r = end_writer(st);

			if (r)
				return r;
		}
		return (int)got;
	}

	int readStreamStatus(SoapySDR::Stream *s, size_t &chanMask, int &flags, long long &timeNs,
			     const long timeoutUs) override
	{
		Stream *st = reinterpret_cast<Stream *>(s);
		auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(timeoutUs);

		if (!st->tx)
			return SOAPY_SDR_NOT_SUPPORTED;
		for (;;) {
			bool polled = false;
			{
				std::lock_guard<std::mutex> g(st->mutex);

				if (st->late) {
					st->late = false;
					chanMask = 0;
					for (size_t k = 0; k < st->chans.size() && k < 64; k++)
						chanMask |= (size_t)1 << k;
					flags = SOAPY_SDR_HAS_TIME;
					timeNs = st->late_hw_ns;
					return SOAPY_SDR_TIME_ERROR;
				}
				if (!st->underflows.empty()) {
					Underflow u = st->underflows.front();

					st->underflows.pop_front();
					chanMask = 0;
					for (size_t k = 0; k < st->chans.size() && k < 64; k++)
						chanMask |= (size_t)1 << k;
					flags = 0;
					timeNs = 0;
					if (u.exact && info_.sample_rate_mhz) {
						uint64_t scan = u.offset / info_.scan_size;

						timeNs = (long long)std::llround(
							(double)scan * 1e12 / (double)info_.sample_rate_mhz);
						flags |= SOAPY_SDR_HAS_TIME;
					}
					return SOAPY_SDR_UNDERFLOW;
				}
				auto left = std::chrono::duration_cast<std::chrono::microseconds>(
						    until - std::chrono::steady_clock::now())
						    .count();
				if (left <= 0)
					return SOAPY_SDR_TIMEOUT;
				/* the device tells underflows in GET_STATS: poll for them */
				if (st->w) {
					if (ifbh_writer_poll(st->w, (int)std::min<long long>(ms(left), 50)) ==
					    -ETIME)
						note_late(st);
					polled = true;
				}
			}
			if (!polled)
				std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
	}

private:
	static int ms(long long us)
	{
		if (us <= 0)
			return 0;
		return (int)std::min<long long>((us + 999) / 1000, 1 << 30);
	}

	static void on_underflow(void *user, const ifbh_gap *gap)
	{
		Stream *st = static_cast<Stream *>(user);

		/* called inside a writer call, the stream's mutex held */
		for (uint64_t k = 0; k < (gap->exact ? 1 : std::min<uint64_t>(gap->count, 4096)); k++)
			st->underflows.push_back({ gap->offset, gap->exact });
	}

	/* The burst was late: once for readStreamStatus. The mutex held. */
	void note_late(Stream *st)
	{
		if (!st->at_hw_ns)
			return;
		st->late = true;
		st->late_hw_ns = st->at_hw_ns;
		st->at_hw_ns = 0;
	}

	/* A new writer, STARTed: a burst, at hardware time at_hw_ns (0: at
	 * once). 0, or the SoapySDR error. The stream's mutex held. */
	int start_writer(Stream *st, long long at_hw_ns)
	{
		int ret;

		if (at_hw_ns && !hasHardwareTime("")) {
			SoapySDR::logf(SOAPY_SDR_ERROR, "iioffsbridge: a timed burst needs a device of "
				       "protocol version 6 (hardware time)");
			return SOAPY_SDR_NOT_SUPPORTED;
		}
		if (ifbh_writer_new(dev_, nullptr, &st->w)) {
			SoapySDR::logf(SOAPY_SDR_ERROR, "iioffsbridge: %s", ifbh_dev_error(dev_));
			st->w = nullptr;
			return SOAPY_SDR_STREAM_ERROR;
		}
		ifbh_writer_set_underflow_cb(st->w, &IfbDevice::on_underflow, st);
		st->at_hw_ns = at_hw_ns;
		ret = at_hw_ns ? ifbh_writer_start_at(st->w, at_hw_ns - hw_offset_.load())
			       : ifbh_writer_start(st->w);
		if (ret) {
			SoapySDR::logf(SOAPY_SDR_ERROR, "iioffsbridge: %s", ifbh_dev_error(dev_));
			if (ret == -ETIME)
				note_late(st);
			ifbh_writer_free(st->w);
			st->w = nullptr;
			return ret == -ETIME ? SOAPY_SDR_TIME_ERROR : SOAPY_SDR_STREAM_ERROR;
		}
		/* START may have read a new rate (never a new layout) */
		info_.sample_rate_mhz = ifbh_dev_info(dev_)->sample_rate_mhz;
		return 0;
	}

	/*
	 * Ends the burst: the rest of the data, STOP with its end, and the
	 * wait until the DAC has played it all (the device's queued blocks:
	 * 60 s at most, then the writer is cancelled). The stream's mutex held.
	 */
	int end_writer(Stream *st)
	{
		int ret;

		if (!st->w)
			return 0;
		ret = ifbh_writer_end(st->w, 60000);
		if (ret) {
			SoapySDR::logf(SOAPY_SDR_ERROR, "iioffsbridge: end of burst: %s",
				       ret == -ETIMEDOUT ? "the DAC did not finish within 60 s"
							 : ifbh_dev_error(dev_));
			ifbh_writer_cancel(st->w);
		}
		if (ret == -ETIME)
			note_late(st);
		st->at_hw_ns = 0;
		ifbh_writer_free(st->w);
		st->w = nullptr;
		return !ret ? 0 : ret == -ETIME ? SOAPY_SDR_TIME_ERROR : SOAPY_SDR_STREAM_ERROR;
	}

	static bool plain16(const ifbh_channel &c)
	{
		return c.bits == 16 && c.storage_bits == 16 && !c.shift && !c.is_be;
	}

	/* n elements of a TX buffer into the scans of st->buf: convert()'s inverse. */
	void unconvert(Stream *st, const ifbh_field &f, const void *in, size_t n) const
	{
		const ifbh_channel &ci = info_.ch[f.ch], &cq = info_.ch[f.ch_q];
		uint8_t *scan = st->buf.data();

		if (st->fmt == Fmt::CS16 && f.iq && plain16(ci) && plain16(cq)) {
			/* 16-bit little-endian I/Q, the common DAC: CS16 is the
			 * value, offset by half the range when unsigned */
			const uint16_t *x = static_cast<const uint16_t *>(in);
			uint16_t fi = ci.is_signed ? 0 : 0x8000, fq = cq.is_signed ? 0 : 0x8000;

			for (size_t i = 0; i < n; i++, scan += info_.scan_size) {
				uint16_t a = x[2 * i] ^ fi, b = x[2 * i + 1] ^ fq;

				scan[f.offset] = (uint8_t)a;
				scan[f.offset + 1] = (uint8_t)(a >> 8);
				scan[f.offset + 2] = (uint8_t)b;
				scan[f.offset + 3] = (uint8_t)(b >> 8);
			}
			return;
		}
		for (size_t i = 0; i < n; i++, scan += info_.scan_size) {
			int64_t vi = 0, vq = 0;
			bool q = f.iq;

			switch (st->fmt) {
			case Fmt::CS16:
				vi = from_s16(static_cast<const int16_t *>(in)[2 * i], ci);
				vq = from_s16(static_cast<const int16_t *>(in)[2 * i + 1], cq);
				break;
			case Fmt::CF32:
				vi = from_f32(static_cast<const float *>(in)[2 * i], ci);
				vq = from_f32(static_cast<const float *>(in)[2 * i + 1], cq);
				break;
			case Fmt::F32:
				vi = from_f32(static_cast<const float *>(in)[i], ci);
				break;
			case Fmt::NATIVE: {
				size_t k = f.iq ? 2 : 1;

				vi = get_native(in, i * k, f.bytes, f.is_signed);
				if (f.iq)
					vq = get_native(in, i * k + 1, f.bytes, f.is_signed);
				break;
			}
			}
			/* a real channel plays I (a complex format's Q is dropped) */
			store(scan + f.offset, ci, vi);
			if (q)
				store(scan + f.offset + f.bytes, cq, vq);
		}
	}

	/* The list to open from: input streams (ifbh_find, as before output
	 * streams existed) unless a stream is named or direction=tx asked. */
	int find(const SoapySDR::Kwargs &args, const ifbh_match &m, ifbh_list **l)
	{
		unsigned int dirs = find_dirs(args);

		if (args.count("stream") || dirs == IFBH_FIND_OUT)
			return ifbh_find_streams(ctx_.get(), &m, dirs, l);
		return ifbh_find(ctx_.get(), &m, l);
	}

	/* The stream args name (stream=NAME), or the one entry there is. */
	void open(const ifbh_list *l, const SoapySDR::Kwargs &args)
	{
		auto want = args.find("stream");
		size_t n = ifbh_list_count(l);
		int ret;

		if (want != args.end()) {
			ret = ifbh_list_open_stream(ctx_.get(), l, want->second.c_str(), &dev_);
		} else if (n != 1) {
			bool one_device = n > 1 && !strcmp(ifbh_list_get(l, 0)->path,
							    ifbh_list_get(l, n - 1)->path);

			throw std::runtime_error(
				n == 0 ? "iioffsbridge: no device found"
				: one_device
					? "iioffsbridge: the device serves several streams: give "
					  "stream=NAME (SoapySDRUtil --find lists them)"
					: "iioffsbridge: several devices match: give serial= or path=");
		} else {
			ret = ifbh_dev_open(ctx_.get(), l, 0, &dev_);
		}
		if (ret)
			throw std::runtime_error(std::string("iioffsbridge: ") +
						 ifbh_ctx_error(ctx_.get()));
		open_streams().add(ifbh_dev_desc(dev_), *ifbh_dev_stream_name(dev_)
								? ifbh_dev_stream_name(dev_)
								: "main");
	}

	void close_dev()
	{
		open_streams().remove(ifbh_dev_desc(dev_));
		ifbh_dev_close(dev_);
		dev_ = nullptr;
	}

	const ifbh_field &field(size_t ch) const
	{
		if (ch >= fields_.size())
			throw std::runtime_error("iioffsbridge: no channel " + std::to_string(ch));
		return fields_[ch];
	}

	void convert(const Stream *st, const ifbh_field &f, void *out, size_t n) const
	{
		const ifbh_channel &ci = info_.ch[f.ch], &cq = info_.ch[f.ch_q];
		const uint8_t *scan = st->buf.data() + st->pos * info_.scan_size;

		for (size_t i = 0; i < n; i++, scan += info_.scan_size) {
			int64_t vi = sample(scan + f.offset, ci);
			int64_t vq = f.iq ? sample(scan + f.offset + f.bytes, cq) : 0;

			switch (st->fmt) {
			case Fmt::CS16:
				static_cast<int16_t *>(out)[2 * i] = to_s16(vi, ci);
				static_cast<int16_t *>(out)[2 * i + 1] = f.iq ? to_s16(vq, cq) : 0;
				break;
			case Fmt::CF32:
				static_cast<float *>(out)[2 * i] = to_f32(vi, ci);
				static_cast<float *>(out)[2 * i + 1] = f.iq ? to_f32(vq, cq) : 0.0f;
				break;
			case Fmt::F32:
				static_cast<float *>(out)[i] = to_f32(vi, ci);
				break;
			case Fmt::NATIVE: {
				size_t k = f.iq ? 2 : 1;

				put(out, i * k, f.bytes, vi);
				if (f.iq)
					put(out, i * k + 1, f.bytes, vq);
				break;
			}
			}
		}
	}

	static void put(void *out, size_t idx, unsigned int bytes, int64_t v)
	{
		switch (bytes) {
		case 1:
			static_cast<uint8_t *>(out)[idx] = (uint8_t)v;
			break;
		case 2:
			static_cast<uint16_t *>(out)[idx] = (uint16_t)v;
			break;
		case 4:
			static_cast<uint32_t *>(out)[idx] = (uint32_t)v;
			break;
		default:
			static_cast<uint64_t *>(out)[idx] = (uint64_t)v;
			break;
		}
	}

	CtxPtr ctx_;
	ifbh_dev *dev_ = nullptr;
	ifbh_info info_{};
	std::vector<ifbh_field> fields_;
	Stream *stream_ = nullptr;
	/* an RX stream runs, and its clock estimate (keep_clock) */
	std::atomic<bool> rx_active_{false};
	mutable std::mutex clock_m_;
	ifbh_time_model rx_clock_{};
	bool tx_ = false; /* an output stream (protocol version 5): TX channels */
	/* setHardwareTime's offset: hardware time - board CLOCK_MONOTONIC, ns */
	std::atomic<long long> hw_offset_{ 0 };
};

SoapySDR::Device *make_ifb(const SoapySDR::Kwargs &args)
{
	return new IfbDevice(args);
}

SoapySDR::Registry registration(DRIVER, &find_ifb, &make_ifb, SOAPY_SDR_ABI_VERSION);

} // namespace
