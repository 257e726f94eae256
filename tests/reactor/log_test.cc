// Tests for the JSON-lines logger: format_line's fixed field order, omission of empty fields,
// escaping (checked by decoding each line with a small strict JSON reader), truncation that
// keeps the line within its buffer and newline-terminated, and write() emitting one line.
// Thread: test thread only (set_level and the stderr redirection are process-wide).
#include "reactor/base/log.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

namespace cashierd::log {
namespace {

struct Field {
    std::string key;
    std::string value;  // Decoded string, or the number's text.
    bool is_string = false;
};

// A strict reader for the one shape the logger writes: a flat object of strings and integers,
// no whitespace, followed by exactly one '\n'. Returns nothing when the line is not that.
class FlatJsonReader {
public:
    explicit FlatJsonReader(std::string_view text) : text_(text) {}

    std::optional<std::vector<Field>> read() {
        std::vector<Field> fields;
        if (!eat('{')) return std::nullopt;
        if (eat('}')) return finish(std::move(fields));
        while (true) {
            Field field;
            if (!read_string(field.key) || !eat(':')) return std::nullopt;
            if (peek() == '"') {
                field.is_string = true;
                if (!read_string(field.value)) return std::nullopt;
            } else if (!read_integer(field.value)) {
                return std::nullopt;
            }
            fields.push_back(std::move(field));
            if (eat('}')) return finish(std::move(fields));
            if (!eat(',')) return std::nullopt;
        }
    }

private:
    std::optional<std::vector<Field>> finish(std::vector<Field> fields) {
        if (position_ + 1 != text_.size() || text_[position_] != '\n') return std::nullopt;
        return fields;
    }

    char peek() const { return position_ < text_.size() ? text_[position_] : '\0'; }

    bool eat(char c) {
        if (peek() != c || position_ >= text_.size()) return false;
        ++position_;
        return true;
    }

    static int hex_value(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    bool read_string(std::string& out) {
        if (!eat('"')) return false;
        while (position_ < text_.size()) {
            char c = text_[position_++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return false;  // Raw control character.
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (position_ >= text_.size()) return false;
            char escape = text_[position_++];
            switch (escape) {
                case '"':
                case '\\':
                case '/':
                    out.push_back(escape);
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'u': {
                    if (position_ + 4 > text_.size()) return false;
                    int code = 0;
                    for (int i = 0; i < 4; ++i) {
                        int digit = hex_value(text_[position_++]);
                        if (digit < 0) return false;
                        code = code * 16 + digit;
                    }
                    if (code >= 0x80) return false;  // The logger only escapes ASCII.
                    out.push_back(static_cast<char>(code));
                    break;
                }
                default:
                    return false;
            }
        }
        return false;
    }

    bool read_integer(std::string& out) {
        std::size_t start = position_;
        if (peek() == '-') ++position_;
        std::size_t digits = position_;
        while (peek() >= '0' && peek() <= '9')
            ++position_;
        if (position_ == digits) return false;
        if (text_[digits] == '0' && position_ - digits > 1) return false;  // No leading zeros.
        out.assign(text_.substr(start, position_ - start));
        return true;
    }

    std::string_view text_;
    std::size_t position_ = 0;
};

std::vector<std::string> keys_of(const std::vector<Field>& fields) {
    std::vector<std::string> keys;
    for (const Field& field : fields)
        keys.push_back(field.key);
    return keys;
}

const Field* find(const std::vector<Field>& fields, std::string_view key) {
    for (const Field& field : fields) {
        if (field.key == key) return &field;
    }
    return nullptr;
}

constexpr std::int64_t july_14_2026_micros = 1'784'000'000'123'456;  // 2026-07-14T03:33:20Z

std::string format(std::int64_t micros, Level level, int shard, const Context& context,
                   std::string_view message, std::initializer_list<Extra> extras = {},
                   std::size_t capacity = 4096) {
    std::string out(capacity, '\0');
    std::size_t length =
            format_line(out.data(), capacity, micros, level, shard, context, message, extras);
    EXPECT_LE(length, capacity);
    out.resize(length);
    return out;
}

TEST(LogTest, AllFieldsInFixedOrder) {
    Context context;
    context.request_id = "req-42";
    context.route = "/cashier/deposit";
    context.status = 201;
    context.duration_us = 1500;
    std::string line = format(july_14_2026_micros, Level::warn, 2, context, "deposit created",
                              {{"login", std::int64_t{2000009}}, {"provider", "stripe"}});
    EXPECT_EQ(line,
              "{\"time\":\"2026-07-14T03:33:20.123456Z\",\"level\":\"warn\",\"shard\":2,"
              "\"request_id\":\"req-42\",\"route\":\"/cashier/deposit\",\"status\":201,"
              "\"duration_us\":1500,\"message\":\"deposit created\",\"login\":2000009,"
              "\"provider\":\"stripe\"}\n");
    auto fields = FlatJsonReader(line).read();
    ASSERT_TRUE(fields.has_value()) << line;
    EXPECT_EQ(keys_of(*fields),
              (std::vector<std::string>{"time", "level", "shard", "request_id", "route", "status",
                                        "duration_us", "message", "login", "provider"}));
}

TEST(LogTest, EmptyAndNegativeFieldsAreLeftOut) {
    std::string line = format(0, Level::info, -1, Context{}, "started");
    EXPECT_EQ(line,
              "{\"time\":\"1970-01-01T00:00:00.000000Z\",\"level\":\"info\","
              "\"message\":\"started\"}\n");

    // Zero is a value, not "absent": shard 0, status 0 and a 0 us duration are written.
    Context zeros;
    zeros.status = 0;
    zeros.duration_us = 0;
    auto fields = FlatJsonReader(format(0, Level::error, 0, zeros, "")).read();
    ASSERT_TRUE(fields.has_value());
    EXPECT_EQ(keys_of(*fields), (std::vector<std::string>{"time", "level", "shard", "status",
                                                          "duration_us", "message"}));
    EXPECT_EQ(find(*fields, "message")->value, "");
    EXPECT_EQ(find(*fields, "status")->value, "0");

    // Only the route set: the other optional fields stay out, the order stays fixed.
    Context route_only;
    route_only.route = "/healthz";
    fields = FlatJsonReader(format(0, Level::debug, -1, route_only, "m")).read();
    ASSERT_TRUE(fields.has_value());
    EXPECT_EQ(keys_of(*fields), (std::vector<std::string>{"time", "level", "route", "message"}));
    EXPECT_EQ(find(*fields, "level")->value, "debug");
}

TEST(LogTest, MicrosecondsAreZeroPadded) {
    std::string line = format(1'784'000'000'000'007, Level::info, -1, Context{}, "m");
    EXPECT_EQ(line.rfind("{\"time\":\"2026-07-14T03:33:20.000007Z\"", 0), 0u) << line;
    // 2000-02-29 (leap day) 23:59:59.999999.
    line = format(951'868'799'999'999, Level::info, -1, Context{}, "m");
    EXPECT_EQ(line.rfind("{\"time\":\"2000-02-29T23:59:59.999999Z\"", 0), 0u) << line;
}

TEST(LogTest, QuotesBackslashesAndControlCharactersAreEscaped) {
    const std::string message = std::string("say \"hi\" \\ path C:\\x\nnext\tline\r") + '\x01' +
                                '\x1f' + "\x7f" + '\0' + "end";
    const std::string extra_text = "a\"b\\c\nd";
    std::string line = format(july_14_2026_micros, Level::info, 1, Context{}, message,
                              {{"detail", extra_text}});
    // One line: the only newline is the terminator.
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    EXPECT_NE(line.find(R"(say \"hi\" \\ path C:\\x\u000anext\u0009line\u000d\u0001\u001f)"),
              std::string::npos)
            << line;
    EXPECT_NE(line.find(R"(\u0000end)"), std::string::npos) << line;
    EXPECT_NE(line.find(R"("detail":"a\"b\\c\u000ad")"), std::string::npos) << line;

    auto fields = FlatJsonReader(line).read();
    ASSERT_TRUE(fields.has_value()) << line;
    EXPECT_EQ(find(*fields, "message")->value, message);
    EXPECT_EQ(find(*fields, "detail")->value, extra_text);

    // Request-scoped strings are escaped too: a request id comes from the client.
    Context hostile;
    hostile.request_id = "x\",\"level\":\"error";
    hostile.route = "/a\\b";
    fields = FlatJsonReader(format(0, Level::info, -1, hostile, "m")).read();
    ASSERT_TRUE(fields.has_value());
    EXPECT_EQ(find(*fields, "request_id")->value, hostile.request_id);
    EXPECT_EQ(find(*fields, "route")->value, hostile.route);
    EXPECT_EQ(find(*fields, "level")->value, "info");
}

TEST(LogTest, NumericExtrasKeepTheirSignAndRange) {
    std::string line = format(0, Level::info, -1, Context{}, "n",
                              {{"min", std::numeric_limits<std::int64_t>::min()},
                               {"max", std::numeric_limits<std::int64_t>::max()},
                               {"negative", -5},
                               {"unsigned", 7u},
                               {"text_number", "12"}});
    auto fields = FlatJsonReader(line).read();
    ASSERT_TRUE(fields.has_value()) << line;
    EXPECT_EQ(find(*fields, "min")->value, "-9223372036854775808");
    EXPECT_FALSE(find(*fields, "min")->is_string);
    EXPECT_EQ(find(*fields, "max")->value, "9223372036854775807");
    EXPECT_EQ(find(*fields, "negative")->value, "-5");
    EXPECT_EQ(find(*fields, "unsigned")->value, "7");
    EXPECT_TRUE(find(*fields, "text_number")->is_string);
}

// Writes format_line into a larger buffer and checks nothing past `capacity` was touched.
std::string format_guarded(std::size_t capacity, std::string_view message) {
    std::string buffer(capacity + 64, '#');
    std::size_t length = format_line(buffer.data(), capacity, july_14_2026_micros, Level::info, 3,
                                     Context{}, message, {{"after", "x"}});
    EXPECT_LE(length, capacity);
    EXPECT_EQ(buffer.substr(capacity), std::string(64, '#')) << "wrote past capacity";
    return buffer.substr(0, length);
}

TEST(LogTest, LongMessageIsTruncatedButTheLineStillEnds) {
    const std::string message(10 * 1024, 'm');
    std::string line = format_guarded(4096, message);
    EXPECT_EQ(line.size(), 4096u);
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    EXPECT_EQ(line.rfind("{\"time\":\"2026-07-14T03:33:20.123456Z\",\"level\":\"info\",\"shard\":3,"
                         "\"message\":\"mmm",
                         0),
              0u);
    // The cut falls inside the message: the extra after it is lost, never half-written later.
    EXPECT_EQ(line.find("after"), std::string::npos);

    // Escapes expand six-fold; the bound holds all the same.
    line = format_guarded(4096, std::string(10 * 1024, '\x01'));
    EXPECT_LE(line.size(), 4096u);
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);

    // Tiny buffers: the newline still fits.
    EXPECT_EQ(format_guarded(1, message), "\n");
    EXPECT_EQ(format_guarded(2, message), "{\n");
}

TEST(LogTest, LineThatFitsExactlyIsNotTruncated) {
    std::string reference = format_guarded(4096, "exact");
    ASSERT_TRUE(FlatJsonReader(reference).read().has_value()) << reference;
    // Capacity equal to the line's length, newline included, is enough.
    EXPECT_EQ(format_guarded(reference.size(), "exact"), reference);
    // One byte less and the line no longer fits whole, but stays bounded and terminated.
    std::string cut = format_guarded(reference.size() - 1, "exact");
    EXPECT_EQ(cut.size(), reference.size() - 1);
    EXPECT_EQ(cut.back(), '\n');
    EXPECT_EQ(cut.substr(0, cut.size() - 1), reference.substr(0, cut.size() - 1));
}

TEST(LogTest, LevelNamesAndThreshold) {
    EXPECT_EQ(level_name(Level::debug), "debug");
    EXPECT_EQ(level_name(Level::info), "info");
    EXPECT_EQ(level_name(Level::warn), "warn");
    EXPECT_EQ(level_name(Level::error), "error");

    set_level(Level::warn);
    EXPECT_FALSE(enabled(Level::debug));
    EXPECT_FALSE(enabled(Level::info));
    EXPECT_TRUE(enabled(Level::warn));
    EXPECT_TRUE(enabled(Level::error));
    set_level(Level::debug);
    EXPECT_TRUE(enabled(Level::debug));
    set_level(Level::info);
    EXPECT_FALSE(enabled(Level::debug));
    EXPECT_TRUE(enabled(Level::info));
}

// Points stderr at a temporary file for the lifetime of the object.
class CaptureStderr {
public:
    CaptureStderr() {
        std::fflush(stderr);
        file_ = std::tmpfile();
        saved_ = ::dup(STDERR_FILENO);
        if (file_ != nullptr) ::dup2(::fileno(file_), STDERR_FILENO);
    }

    ~CaptureStderr() {
        restore();
        if (file_ != nullptr) std::fclose(file_);
    }

    CaptureStderr(const CaptureStderr&) = delete;
    CaptureStderr& operator=(const CaptureStderr&) = delete;

    std::string text() {
        restore();
        std::string result;
        if (file_ == nullptr) return result;
        std::rewind(file_);
        char chunk[512];
        std::size_t got = 0;
        while ((got = std::fread(chunk, 1, sizeof chunk, file_)) > 0)
            result.append(chunk, got);
        return result;
    }

private:
    void restore() {
        if (saved_ < 0) return;
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        saved_ = -1;
    }

    std::FILE* file_ = nullptr;
    int saved_ = -1;
};

TEST(LogTest, WriteEmitsOneLineStampedWithTheThreadShard) {
    set_level(Level::info);
    set_thread_shard(5);
    std::string text;
    {
        CaptureStderr capture;
        write(Level::debug, Context{}, "hidden");  // Below the level: nothing written.
        warn("disk slow", {{"fsync_us", std::int64_t{12000}}});
        Context context;
        context.request_id = "r1";
        write(Level::error, context, "failed");
        text = capture.text();
    }
    set_thread_shard(-1);

    std::size_t first_end = text.find('\n');
    ASSERT_NE(first_end, std::string::npos) << text;
    std::string first = text.substr(0, first_end + 1);
    std::string second = text.substr(first_end + 1);
    ASSERT_EQ(second.find('\n'), second.size() - 1) << text;

    auto fields = FlatJsonReader(first).read();
    ASSERT_TRUE(fields.has_value()) << first;
    EXPECT_EQ(find(*fields, "level")->value, "warn");
    ASSERT_NE(find(*fields, "shard"), nullptr);
    EXPECT_EQ(find(*fields, "shard")->value, "5");
    EXPECT_EQ(find(*fields, "message")->value, "disk slow");
    EXPECT_EQ(find(*fields, "fsync_us")->value, "12000");

    fields = FlatJsonReader(second).read();
    ASSERT_TRUE(fields.has_value()) << second;
    EXPECT_EQ(find(*fields, "level")->value, "error");
    EXPECT_EQ(find(*fields, "request_id")->value, "r1");
}

TEST(LogTest, WriteBelowTheLevelWritesNothing) {
    set_level(Level::error);
    std::string text;
    {
        CaptureStderr capture;
        write(Level::warn, Context{}, "dropped");
        info("dropped too");
        text = capture.text();
    }
    set_level(Level::info);
    EXPECT_EQ(text, "");
}

}  // namespace
}  // namespace cashierd::log
