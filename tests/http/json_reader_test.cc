// JsonReader: every field type and its refusals, the strictness On-Demand lacks (duplicate keys,
// trailing bytes, malformed skipped values), nesting, raw values re-read in place, a seed-002
// deposit body, and that reading allocates nothing once the reader exists.
#include "http/json_reader.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "reactor/base/limits.h"

// Counts every allocation through operator new in this binary (simdjson's library included), so
// a test can show that read_object() never allocates. All forms are replaced together so that
// each delete matches its new, which ASan checks.
namespace {
std::atomic<std::size_t> allocation_count{0};

void* counted_allocate(std::size_t size) noexcept {
    allocation_count.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

void* operator new(std::size_t size) {
    if (void* memory = counted_allocate(size)) return memory;
    throw std::bad_alloc();
}

void* operator new[](std::size_t size) {
    if (void* memory = counted_allocate(size)) return memory;
    throw std::bad_alloc();
}

void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return counted_allocate(size);
}

void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return counted_allocate(size);
}

void operator delete(void* memory) noexcept {
    std::free(memory);
}

void operator delete[](void* memory) noexcept {
    std::free(memory);
}

void operator delete(void* memory, std::size_t) noexcept {
    std::free(memory);
}

void operator delete[](void* memory, std::size_t) noexcept {
    std::free(memory);
}

void operator delete(void* memory, const std::nothrow_t&) noexcept {
    std::free(memory);
}

void operator delete[](void* memory, const std::nothrow_t&) noexcept {
    std::free(memory);
}

namespace cashierd::http {
namespace {

constexpr JsonField all_types[] = {
        {"s", JsonType::string},      {"i", JsonType::int64},
        {"u", JsonType::uint64},      {"b", JsonType::boolean},
        {"n", JsonType::number_text}, {"ns", JsonType::number_or_string},
        {"o", JsonType::object_raw},  {"a", JsonType::array_raw},
        {"any", JsonType::any_raw},
};
constexpr std::size_t all_types_count = std::size(all_types);

std::size_t index_of(std::string_view name) {
    for (std::size_t i = 0; i < all_types_count; ++i) {
        if (all_types[i].name == name) return i;
    }
    ADD_FAILURE() << "no field " << name;
    return 0;
}

class JsonReaderTest : public ::testing::Test {
protected:
    // Copies `document` into a buffer with padding filled with `fill`, as a request body arrives:
    // the bytes past the end are readable but hold whatever the connection left there.
    Status read(std::string_view document, std::span<const JsonField> fields,
                std::span<JsonValue> out, char fill = '\0') {
        buffer_.assign(document);
        buffer_.append(limits::json_padding_bytes, fill);
        return reader_.read_object(std::string_view(buffer_.data(), document.size()),
                                   buffer_.size(), fields, out);
    }

    Status read_all_types(std::string_view document, char fill = '\0') {
        return read(document, all_types, values_, fill);
    }

    const JsonValue& value(std::string_view name) const { return values_[index_of(name)]; }

    static void expect_invalid(const Status& status, std::string_view detail,
                               std::string_view field) {
        EXPECT_EQ(status.code(), StatusCode::invalid_data);
        EXPECT_EQ(status.detail(), detail);
        EXPECT_EQ(status.field(), field);
    }

    std::string buffer_;
    JsonValue values_[all_types_count];
    JsonReader reader_{limits::request_body_bytes_max};
};

TEST_F(JsonReaderTest, ReadsEveryType) {
    const Status status =
            read_all_types(R"({"s":"text","i":-42,"u":18446744073709551615,"b":false,"n":250.10,)"
                           R"("ns":"7.5","o":{"k":[1,{"z":null}]},"a":[1,"two",{}],"any":"x"})");
    ASSERT_TRUE(status.ok()) << status.detail();
    for (const JsonValue& v : values_) {
        EXPECT_TRUE(v.present);
    }
    EXPECT_EQ(value("s").text, "text");
    EXPECT_EQ(value("i").integer, -42);
    EXPECT_EQ(value("u").unsigned_integer, 18446744073709551615ULL);
    EXPECT_FALSE(value("b").boolean);
    EXPECT_EQ(value("n").text, "250.10");
    EXPECT_EQ(value("ns").text, "7.5");
    EXPECT_EQ(value("o").text, R"({"k":[1,{"z":null}]})");
    EXPECT_EQ(value("a").text, R"([1,"two",{}])");
    EXPECT_EQ(value("any").text, R"("x")");
}

TEST_F(JsonReaderTest, AbsentOptionalFieldsAreNotPresent) {
    ASSERT_TRUE(read_all_types(R"({"b":true})").ok());
    EXPECT_TRUE(value("b").present);
    EXPECT_TRUE(value("b").boolean);
    EXPECT_FALSE(value("s").present);
    EXPECT_FALSE(value("o").present);
    // Results are reset on every call, not left over from the previous document.
    ASSERT_TRUE(read_all_types(R"({"s":"x"})").ok());
    EXPECT_FALSE(value("b").present);
    EXPECT_TRUE(value("s").present);
}

TEST_F(JsonReaderTest, AnyRawTakesEveryKindOfValue) {
    const std::pair<std::string_view, std::string_view> cases[] = {
            {R"({"any":  12.5e3  })", "12.5e3"},
            {R"({"any":"a\"b"})", R"("a\"b")"},
            {R"({"any":true})", "true"},
            {R"({"any":null})", "null"},
            {R"({"any":[ 1 , 2 ] })", "[ 1 , 2 ]"},
            {R"({"any":{ "k" : "v" }
            })",
             R"({ "k" : "v" })"},
    };
    for (const auto& [document, text] : cases) {
        SCOPED_TRACE(document);
        const Status status = read_all_types(document);
        ASSERT_TRUE(status.ok()) << status.detail();
        EXPECT_TRUE(value("any").present);
        EXPECT_EQ(value("any").text, text);
    }
}

TEST_F(JsonReaderTest, RefusesWrongTypesNamingTheField) {
    struct Case {
        std::string_view field;
        std::string_view value;
    };

    const Case cases[] = {
            {"s", "1"},        {"s", "true"},      {"s", "null"},  {"s", "{}"},
            {"s", "[]"},       {"i", R"("1")"},    {"i", "1.0"},   {"i", "1e2"},
            {"i", "-1.5"},     {"i", "true"},      {"i", "null"},  {"i", "{}"},
            {"u", R"("1")"},   {"u", "1.5"},       {"u", "1E3"},   {"u", "[]"},
            {"b", "1"},        {"b", R"("true")"}, {"b", "null"},  {"b", "[]"},
            {"n", R"("1.5")"}, {"n", "true"},      {"n", "null"},  {"n", "{}"},
            {"ns", "true"},    {"ns", "null"},     {"ns", "{}"},   {"ns", "[1]"},
            {"o", "[]"},       {"o", R"("{}")"},   {"o", "1"},     {"o", "null"},
            {"a", "{}"},       {"a", R"("[]")"},   {"a", "false"}, {"a", "null"},
    };
    for (const Case& c : cases) {
        const std::string document = std::string(R"({"x":0,")") + std::string(c.field) +
                                     "\":" + std::string(c.value) + "}";
        SCOPED_TRACE(document);
        const Status status = read_all_types(document);
        expect_invalid(status, "wrong_type", c.field);
        // The name is the caller's JsonField::name itself, not a copy of the key.
        EXPECT_EQ(status.field().data(), all_types[index_of(c.field)].name.data());
    }
}

TEST_F(JsonReaderTest, IntegerRanges) {
    struct Case {
        std::string_view field;
        std::string_view value;
        std::string_view detail;  // Empty when accepted.
    };

    const Case cases[] = {
            {"i", "9223372036854775807", ""},
            {"i", "-9223372036854775808", ""},
            {"i", "0", ""},
            {"i", "-0", ""},
            {"i", "9223372036854775808", "out_of_range"},
            {"i", "-9223372036854775809", "out_of_range"},
            {"i", "123456789012345678901234567890", "out_of_range"},
            {"i", "01", "invalid_number"},
            {"i", "-", "invalid_number"},
            {"i", "1.", "invalid_number"},
            {"i", "1x", "invalid_number"},
            {"u", "18446744073709551615", ""},
            {"u", "9223372036854775808", ""},
            {"u", "0", ""},
            {"u", "18446744073709551616", "out_of_range"},
            {"u", "-1", "out_of_range"},
            {"u", "-9223372036854775808", "out_of_range"},
            {"u", "00", "invalid_number"},
    };
    for (const Case& c : cases) {
        const std::string document =
                "{\"" + std::string(c.field) + "\":" + std::string(c.value) + "}";
        SCOPED_TRACE(document);
        const Status status = read_all_types(document);
        if (c.detail.empty()) {
            ASSERT_TRUE(status.ok()) << status.detail();
            EXPECT_TRUE(value(c.field).present);
        } else {
            expect_invalid(status, c.detail, c.field);
        }
    }
    ASSERT_TRUE(read_all_types(R"({"i":-9223372036854775808,"u":9223372036854775808})").ok());
    EXPECT_EQ(value("i").integer, INT64_MIN);
    EXPECT_EQ(value("u").unsigned_integer, 9223372036854775808ULL);
}

TEST_F(JsonReaderTest, NumberTextIsTheExactSourceToken) {
    const std::pair<std::string_view, std::string_view> cases[] = {
            {R"({"n":250.10})", "250.10"},
            {R"({"n": 0.000001 })", "0.000001"},
            {"{\"n\":\n-12.5e-3\t,\"x\":1}", "-12.5e-3"},
            {R"({"n":1E+2})", "1E+2"},
            {R"({"n":-0})", "-0"},
            // Beyond double and int64 range: still a JSON number; the money parser judges it.
            {R"({"n":123456789012345678901234567890.5})", "123456789012345678901234567890.5"},
            {R"({"n":1e400})", "1e400"},
    };
    for (const auto& [document, text] : cases) {
        SCOPED_TRACE(document);
        const Status status = read_all_types(document);
        ASSERT_TRUE(status.ok()) << status.detail();
        EXPECT_EQ(value("n").text, text);
        // The token lies in the caller's buffer, not in a parser copy.
        EXPECT_GE(value("n").text.data(), buffer_.data());
        EXPECT_LE(value("n").text.data() + value("n").text.size(),
                  buffer_.data() + document.size());
    }
    const std::string_view malformed[] = {"01",  "1.",       ".5",       "-",     "+1",
                                          "1e",  "1e+",      "0x10",     "1.5.5", "--1",
                                          "NaN", "Infinity", "-Infinity"};
    for (const std::string_view number : malformed) {
        const std::string document = "{\"n\":" + std::string(number) + "}";
        SCOPED_TRACE(document);
        const Status status = read_all_types(document);
        EXPECT_FALSE(status.ok());
        EXPECT_EQ(status.code(), StatusCode::invalid_data);
        // A token simdjson cannot even classify as a number fails before the field is known.
        if (number.front() == '-' || (number.front() >= '0' && number.front() <= '9')) {
            expect_invalid(status, "invalid_number", "n");
        }
    }
}

TEST_F(JsonReaderTest, NumberOrStringTakesEither) {
    ASSERT_TRUE(read_all_types(R"({"ns":12.30})").ok());
    EXPECT_EQ(value("ns").text, "12.30");
    ASSERT_TRUE(read_all_types(R"({"ns":"12.30"})").ok());
    EXPECT_EQ(value("ns").text, "12.30");
    ASSERT_TRUE(read_all_types(R"({"ns":"\u0031\u0032"})").ok());
    EXPECT_EQ(value("ns").text, "12");
    expect_invalid(read_all_types(R"({"ns":012})"), "invalid_number", "ns");
    expect_invalid(read_all_types(R"({"ns":"\x"})"), "invalid_string", "ns");
}

TEST_F(JsonReaderTest, RequiredFieldMissing) {
    constexpr JsonField fields[] = {
            {"login", JsonType::int64, true},
            {"comment", JsonType::string},
            {"amount", JsonType::number_or_string, true},
    };
    JsonValue out[3];
    expect_invalid(read(R"({"amount":"1"})", fields, out), "missing_field", "login");
    expect_invalid(read(R"({"login":1,"comment":"c"})", fields, out), "missing_field", "amount");
    // Case matters, and an unknown key does not stand in for a known one.
    expect_invalid(read(R"({"Login":1,"amount":1})", fields, out), "missing_field", "login");
    const Status missing = read("{}", fields, out);
    EXPECT_EQ(missing.field().data(), fields[0].name.data());
    ASSERT_TRUE(read(R"({"amount":1,"login":5})", fields, out).ok());
    EXPECT_EQ(out[0].integer, 5);
    EXPECT_FALSE(out[1].present);
    EXPECT_EQ(out[2].text, "1");
}

TEST_F(JsonReaderTest, NullableFields) {
    constexpr JsonField fields[] = {
            {"optional", JsonType::string, false, true},
            {"required", JsonType::int64, true, true},
            {"strict", JsonType::string},
            {"raw", JsonType::object_raw, false, true},
    };
    JsonValue out[4];
    ASSERT_TRUE(read(R"({"optional":null,"required":3,"raw":null})", fields, out).ok());
    EXPECT_FALSE(out[0].present);
    EXPECT_TRUE(out[1].present);
    EXPECT_EQ(out[1].integer, 3);
    EXPECT_FALSE(out[3].present);

    ASSERT_TRUE(read(R"({"optional":"v","required":4})", fields, out).ok());
    EXPECT_TRUE(out[0].present);
    EXPECT_EQ(out[0].text, "v");

    // A required nullable field that is null is as missing as an absent one.
    expect_invalid(read(R"({"required":null})", fields, out), "missing_field", "required");
    // Without nullable, null is a wrong type, not an absence.
    expect_invalid(read(R"({"required":1,"strict":null})", fields, out), "wrong_type", "strict");
    // Nullable does not relax the type of a non-null value.
    expect_invalid(read(R"({"required":"1"})", fields, out), "wrong_type", "required");
    expect_invalid(read(R"({"required":1,"optional":nul})", fields, out), "malformed_json",
                   "optional");
    expect_invalid(read(R"({"required":1,"optional":nulls})", fields, out), "malformed_json",
                   "optional");
}

TEST_F(JsonReaderTest, DuplicateKnownKeyIsRefused) {
    const Status status = read_all_types(R"({"s":"first","b":true,"s":"second"})");
    expect_invalid(status, "duplicate_key", "s");
    EXPECT_EQ(status.field().data(), all_types[index_of("s")].name.data());
    // Keys are compared unescaped: "\u0073" is "s".
    expect_invalid(read_all_types(R"({"s":"first","\u0073":"second"})"), "duplicate_key", "s");
    // Refused even when both values are the same, and even when the first was null.
    expect_invalid(read_all_types(R"({"i":1,"i":1})"), "duplicate_key", "i");
    constexpr JsonField nullable[] = {{"s", JsonType::string, false, true}};
    JsonValue out[1];
    expect_invalid(read(R"({"s":null,"s":"x"})", nullable, out), "duplicate_key", "s");
}

TEST_F(JsonReaderTest, DuplicateUnknownKeyIsRefused) {
    expect_invalid(read_all_types(R"({"x":1,"s":"a","x":2})"), "duplicate_key", "");
    expect_invalid(read_all_types(R"({"x":{},"\u0078":[]})"), "duplicate_key", "");
    expect_invalid(read_all_types(R"({"":1,"":1})"), "duplicate_key", "");
    // Prefixes, lengths and escapes that differ are distinct keys.
    ASSERT_TRUE(read_all_types(R"({"x":1,"xx":2,"x\u0000":3,"X":4,"":5})").ok());
}

// Duplicates are only refused at the top level, where the server reads keys. Inside an object it
// skips they are harmless; inside an object_raw it does read, the re-read refuses them.
TEST_F(JsonReaderTest, DuplicateInsideNestedObjectIsAllowed) {
    ASSERT_TRUE(read_all_types(R"({"x":{"k":1,"k":2},"y":[{"k":1,"k":1}]})").ok());
    ASSERT_TRUE(read_all_types(R"({"o":{"k":1,"k":2}})").ok());
    EXPECT_EQ(value("o").text, R"({"k":1,"k":2})");
}

TEST_F(JsonReaderTest, ManyDistinctKeysAndOneDuplicateAmongThem) {
    std::string document = "{";
    for (int i = 0; i < 5000; ++i) {
        if (i != 0) document += ',';
        document += "\"k" + std::to_string(i) + "\":" + std::to_string(i);
    }
    ASSERT_TRUE(read_all_types(document + "}").ok());
    expect_invalid(read_all_types(document + ",\"k2500\":0}"), "duplicate_key", "");
}

// Known fields past the 64th are tracked in the key set rather than the bit set.
TEST(JsonReader, DuplicatesAmongManyKnownFields) {
    std::vector<std::string> names;
    for (int i = 0; i < 80; ++i) {
        // Appended rather than "f" + ...: GCC 12 at -O3 warns wrongly on that (-Wrestrict).
        names.emplace_back("f").append(std::to_string(i));
    }
    std::vector<JsonField> fields;
    for (const std::string& name : names) {
        fields.push_back({name, JsonType::int64});
    }
    std::vector<JsonValue> out(fields.size());
    JsonReader reader(limits::request_body_bytes_max);
    const auto read = [&](std::string document) {
        const std::size_t size = document.size();
        document.append(limits::json_padding_bytes, '\0');
        return reader.read_object(std::string_view(document.data(), size), document.size(), fields,
                                  out);
    };
    std::string all = "{";
    for (std::size_t i = 0; i < names.size(); ++i) {
        all += (i == 0 ? "\"" : ",\"") + names[i] + "\":" + std::to_string(i);
    }
    ASSERT_TRUE(read(all + "}").ok());
    EXPECT_EQ(out[79].integer, 79);
    EXPECT_EQ(out[3].integer, 3);
    for (const int repeated : {0, 63, 64, 79}) {
        const Status status = read(all + ",\"f" + std::to_string(repeated) + "\":1}");
        EXPECT_EQ(status.detail(), "duplicate_key");
        EXPECT_EQ(status.field(), names[static_cast<std::size_t>(repeated)]);
    }
}

TEST(JsonReader, KeySetHoldsAsManyKeysAsTheLargestDocumentCanHave) {
    // One-character keys packed as tightly as JSON allows, in a reader sized exactly for them.
    std::string document = "{";
    for (char c = 0x20; c < 0x7F; ++c) {
        if (c == '"' || c == '\\') continue;
        if (document.size() > 1) document += ',';
        document += std::string("\"") + c + "\":0";
    }
    document += '}';
    JsonReader reader(document.size());
    const std::size_t size = document.size();
    document.append(limits::json_padding_bytes, '\0');
    constexpr JsonField fields[] = {{"a", JsonType::int64, true}};
    JsonValue out[1];
    const Status status = reader.read_object(std::string_view(document.data(), size),
                                             document.size(), fields, out);
    ASSERT_TRUE(status.ok()) << status.detail();
    EXPECT_TRUE(out[0].present);
}

TEST_F(JsonReaderTest, TrailingBytesAreRefused) {
    const std::string_view cases[] = {
            "{} x",         "{}{}",         "{} ]", "{}}",          R"({"s":"x"} 1)",
            "{} {\"s\":1}", "{}\n\"tail\"", "{},",  R"({"o":{}}})", "{} null",
    };
    for (const std::string_view document : cases) {
        SCOPED_TRACE(document);
        expect_invalid(read_all_types(document), "trailing_bytes", "");
    }
    // With trailing bytes after a bad object, the first problem in the document is reported.
    expect_invalid(read_all_types(R"({"s":1} x)"), "wrong_type", "s");
    expect_invalid(read_all_types(R"({"x":[1,}]} x)"), "malformed_json", "");
}

TEST_F(JsonReaderTest, WhitespaceAroundTheObjectIsAccepted) {
    const Status status = read_all_types(" \n\t\r{ \"s\" : \"x\" , \"i\" :\n1 }\r\n\t ");
    ASSERT_TRUE(status.ok()) << status.detail();
    EXPECT_EQ(value("s").text, "x");
    EXPECT_EQ(value("i").integer, 1);
}

TEST_F(JsonReaderTest, DocumentsThatAreNotObjects) {
    const std::pair<std::string_view, std::string_view> cases[] = {
            {"[]", "not_an_object"}, {"[{}]", "not_an_object"},    {R"("x")", "not_an_object"},
            {"1", "not_an_object"},  {"null", "not_an_object"},    {"true", "not_an_object"},
            {"", "empty_document"},  {" \n\t ", "empty_document"},
    };
    for (const auto& [document, detail] : cases) {
        SCOPED_TRACE(document);
        expect_invalid(read_all_types(document), detail, "");
    }
    const std::string_view malformed[] = {
            "}",   "{",          "{\"y\"",  "x",     "{\"y\":}", "{\"y\" \"x\"}",
            "{,}", "{\"y\":1,}", "{\"y\"}", "{1:2}", "{'a':1}"};
    for (const std::string_view document : malformed) {
        SCOPED_TRACE(document);
        const Status status = read_all_types(document);
        EXPECT_EQ(status.code(), StatusCode::invalid_data);
        EXPECT_EQ(status.field(), "");
    }
}

TEST_F(JsonReaderTest, MalformedSkippedValuesAreRefused) {
    const std::string_view cases[] = {
            R"({"y":1,"x":[1,2,}})",
            R"({"x":tru})",
            R"({"x":nul})",
            R"({"x":falsey})",
            R"({"x":01})",
            R"({"x":1.})",
            R"({"x":-})",
            R"({"x":.5})",
            R"({"x":"\q"})",
            R"({"x":"\ud800"})",
            R"({"x":"\u12"})",
            R"({"x":{"k" 1}})",
            R"({"x":[1 2]})",
            R"({"x":{"k":1,}})",
            R"({"x":[1,,2]})",
            R"({"x":{"\u":1}})",
            R"({"x":[[[tru]]]})",
            R"({"x":{"k":[1,{"z":nulll}]}})",
            R"({"x":undefined})",
            R"({"x":NaN})",
            R"({"x":[1,2})",
            R"({"x":{"k":1})",
            R"({"x":[1,2]]})",
            R"({"x":"a","y":})",
    };
    for (const std::string_view document : cases) {
        SCOPED_TRACE(document);
        const Status status = read_all_types(document);
        EXPECT_EQ(status.code(), StatusCode::invalid_data);
        // "x" is unknown, so no field is named.
        EXPECT_EQ(status.field(), "");
    }
    // Valid JSON that simdjson's number parser would refuse is fine in a skipped field.
    ASSERT_TRUE(
            read_all_types(R"({"x":123456789012345678901234567890,"y":1e400,"z":-0.0E-0})").ok());
}

TEST_F(JsonReaderTest, MalformedValuesInKnownFieldsNameTheField) {
    expect_invalid(read_all_types(R"({"o":{"k":tru}})"), "malformed_json", "o");
    expect_invalid(read_all_types(R"({"a":[1,"\q"]})"), "invalid_string", "a");
    expect_invalid(read_all_types(R"({"any":[01]})"), "invalid_number", "any");
    expect_invalid(read_all_types(R"({"b":tru})"), "malformed_json", "b");
    expect_invalid(read_all_types(R"({"s":"\uD800\u0041"})"), "invalid_string", "s");
}

// simdjson may look one token past the end of the document into the padding. Whatever the
// padding holds, a truncated document must not read as complete.
TEST_F(JsonReaderTest, TruncatedDocumentsWithJsonLikePadding) {
    const std::string_view cases[] = {
            R"({"s":"x")", R"({"s":"x",)", R"({"o":{"k":1})", R"({"a":[1,2])", R"({"o":{"k":{}})",
            R"({"s")",     R"({"s":)",     R"({"i":1)",       R"({)",          R"({"a":[)",
            R"({"o":{)",
    };
    for (const char fill : {'\0', '}', ']', '"', '1', ',', ' ', 'e'}) {
        for (const std::string_view document : cases) {
            SCOPED_TRACE(std::string(document) + " padded with '" + fill + "'");
            const Status status = read_all_types(document, fill);
            EXPECT_EQ(status.code(), StatusCode::invalid_data);
        }
    }
    // The same padding is harmless behind a complete document.
    for (const char fill : {'\0', '}', ']', '"'}) {
        ASSERT_TRUE(read_all_types(R"({"o":{"k":{}}})", fill).ok());
    }
}

TEST_F(JsonReaderTest, NestingDeeperThan32IsRefused) {
    // The top-level object is level 1, so k arrays under it reach level k + 1.
    const auto nested = [](std::string_view key, int arrays) {
        return "{\"" + std::string(key) +
               "\":" + std::string(static_cast<std::size_t>(arrays), '[') +
               std::string(static_cast<std::size_t>(arrays), ']') + "}";
    };
    ASSERT_TRUE(read_all_types(nested("x", 31)).ok());
    expect_invalid(read_all_types(nested("x", 32)), "nesting_too_deep", "");
    ASSERT_TRUE(read_all_types(nested("a", 31)).ok());
    expect_invalid(read_all_types(nested("a", 32)), "nesting_too_deep", "a");
    expect_invalid(read_all_types(nested("any", 32)), "nesting_too_deep", "any");
    // Deep enough to overflow the stack if the walk did not stop.
    expect_invalid(read_all_types(nested("x", 20000)), "nesting_too_deep", "");

    std::string objects = "{";
    for (int i = 0; i < 31; ++i) {
        objects += "\"k\":{";
    }
    ASSERT_TRUE(read_all_types(objects + std::string(32, '}')).ok());
    expect_invalid(read_all_types(objects + "\"k\":{}" + std::string(32, '}')), "nesting_too_deep",
                   "");
}

TEST_F(JsonReaderTest, EscapedKeysMatchFieldNames) {
    constexpr JsonField fields[] = {
            {"amount", JsonType::number_or_string, true},
            {"a\"b", JsonType::int64},
            {"caf\xC3\xA9", JsonType::boolean},
    };
    JsonValue out[3];
    const Status status = read(R"({"\u0061mount":"10.00","a\"b":2,"caf\u00e9":true})", fields, out);
    ASSERT_TRUE(status.ok()) << status.detail();
    EXPECT_EQ(out[0].text, "10.00");
    EXPECT_EQ(out[1].integer, 2);
    EXPECT_TRUE(out[2].boolean);
    // An escaped key is still type-checked as the field it names.
    expect_invalid(read(R"({"\u0061mount":true})", fields, out), "wrong_type", "amount");
    // A bad escape in a key is refused even when the key is unknown.
    expect_invalid(read(R"({"amount":1,"\uzzzz":1})", fields, out), "invalid_string", "");
}

TEST_F(JsonReaderTest, UnicodeStrings) {
    ASSERT_TRUE(read_all_types(R"({"s":"h\u00e9llo \ud83d\ude00 日本 \u0000 \n\/"})").ok());
    EXPECT_EQ(value("s").text, std::string_view("h\xC3\xA9llo \xF0\x9F\x98\x80 日本 \0 \n/", 23));
    ASSERT_TRUE(read_all_types("{\"s\":\"\xE2\x82\xAC\xF4\x8F\xBF\xBF\"}").ok());
    EXPECT_EQ(value("s").text, "\xE2\x82\xAC\xF4\x8F\xBF\xBF");

    // Invalid UTF-8 anywhere fails the whole document, in values, keys and skipped fields.
    const std::string_view invalid[] = {
            "{\"s\":\"\xFF\"}",         "{\"s\":\"\xC0\xAF\"}",
            "{\"s\":\"\xED\xA0\x80\"}", "{\"s\":\"\xF4\x90\x80\x80\"}",
            "{\"\xE2\x82\":1}",         "{\"x\":[\"\x80\"]}",
            "{\"s\":\"\x01\"}",
    };
    for (const std::string_view document : invalid) {
        SCOPED_TRACE(::testing::PrintToString(document));
        expect_invalid(read_all_types(document), "malformed_json", "");
    }
    // Escapes that do not make a character.
    expect_invalid(read_all_types(R"({"s":"\ude00"})"), "invalid_string", "s");
    expect_invalid(read_all_types(R"({"s":"\ud83d"})"), "invalid_string", "s");
    expect_invalid(read_all_types(R"({"s":"\ud83d\u0041"})"), "invalid_string", "s");
    expect_invalid(read_all_types(R"({"s":"\a"})"), "invalid_string", "s");
}

TEST_F(JsonReaderTest, RawObjectCanBeReadAgainInPlace) {
    const std::string document =
            R"({"x":1,"o" : { "s" : "inner" , "i" : 7, "extra":[true] } ,"a":[{"s":"last"}]})";
    ASSERT_TRUE(read_all_types(document).ok());
    const std::string_view raw = value("o").text;
    EXPECT_EQ(raw, R"({ "s" : "inner" , "i" : 7, "extra":[true] })");
    ASSERT_GE(raw.data(), buffer_.data());
    const auto offset = static_cast<std::size_t>(raw.data() - buffer_.data());
    ASSERT_LE(offset + raw.size(), document.size());

    constexpr JsonField inner_fields[] = {{"s", JsonType::string, true},
                                          {"i", JsonType::int64, true}};
    JsonValue inner[2];
    // The raw text is followed by the rest of the outer document, not by zeros: the re-read
    // must stop at the raw text's end.
    const Status status = reader_.read_object(raw, buffer_.size() - offset, inner_fields, inner);
    ASSERT_TRUE(status.ok()) << status.detail();
    EXPECT_EQ(inner[0].text, "inner");
    EXPECT_EQ(inner[1].integer, 7);
}

TEST_F(JsonReaderTest, RawObjectAtTheEndIsReadAgainAndCheckedForDuplicates) {
    // The closing brace of the outer object follows the raw text: simdjson's own guard for a
    // '}' just past the end must not make the re-read fail or overrun.
    const std::string document = R"({"x":1,"o":{"s":"a","s":"b"}})";
    ASSERT_TRUE(read_all_types(document).ok());
    const std::string_view raw = value("o").text;
    const auto offset = static_cast<std::size_t>(raw.data() - buffer_.data());
    constexpr JsonField inner_fields[] = {{"s", JsonType::string}};
    JsonValue inner[1];
    expect_invalid(reader_.read_object(raw, buffer_.size() - offset, inner_fields, inner),
                   "duplicate_key", "s");

    ASSERT_TRUE(read_all_types(R"({"o":{"s":"only"}})").ok());
    const std::string_view single = value("o").text;
    const auto single_offset = static_cast<std::size_t>(single.data() - buffer_.data());
    ASSERT_TRUE(
            reader_.read_object(single, buffer_.size() - single_offset, inner_fields, inner).ok());
    EXPECT_EQ(inner[0].text, "only");
}

// A CreateCashierDeposit body as seed 002 documents it, with every request field.
constexpr std::string_view deposit_body =
        R"({"login":2000009,"provider":"stripe","method":"card","amount":250.0,"currency":"USD",)"
        R"("idempotency_key":"0f9bb0e7-642d-4b70-b458-62e3993c7d2d",)"
        R"("success_url":"https://terminal.example.com/cashier/success",)"
        R"("failure_url":"https://terminal.example.com/cashier/failure",)"
        R"("comment":"first deposit","metadata_json":"{\"source\":\"terminal\"}"})";

constexpr JsonField deposit_fields[] = {
        {"login", JsonType::int64, true},
        {"provider", JsonType::string, true},
        {"amount", JsonType::number_or_string, true},
        {"currency", JsonType::string, true},
        {"method", JsonType::string},
        {"idempotency_key", JsonType::string},
        {"success_url", JsonType::string},
        {"failure_url", JsonType::string},
        {"comment", JsonType::string},
        {"metadata_json", JsonType::string},
};

TEST_F(JsonReaderTest, Seed002DepositBody) {
    EXPECT_GT(deposit_body.size(), 280U);
    JsonValue out[std::size(deposit_fields)];
    const Status status = read(deposit_body, deposit_fields, out);
    ASSERT_TRUE(status.ok()) << status.detail();
    EXPECT_EQ(out[0].integer, 2000009);
    EXPECT_EQ(out[1].text, "stripe");
    EXPECT_EQ(out[2].text, "250.0");
    EXPECT_EQ(out[3].text, "USD");
    EXPECT_EQ(out[4].text, "card");
    EXPECT_EQ(out[5].text, "0f9bb0e7-642d-4b70-b458-62e3993c7d2d");
    EXPECT_EQ(out[6].text, "https://terminal.example.com/cashier/success");
    EXPECT_EQ(out[7].text, "https://terminal.example.com/cashier/failure");
    EXPECT_EQ(out[8].text, "first deposit");
    EXPECT_EQ(out[9].text, R"({"source":"terminal"})");

    // The seed's own example: pretty-printed, without the optional comment fields.
    const Status example = read(R"({
"login": 2000009,
"provider": "stripe",
"method": "card",
"amount": 250.0,
"currency": "USD",
"idempotency_key": "0f9bb0e7-642d-4b70-b458-62e3993c7d2d",
"success_url": "https://terminal.example.com/cashier/success",
"failure_url": "https://terminal.example.com/cashier/failure"
})",
                                deposit_fields, out);
    ASSERT_TRUE(example.ok()) << example.detail();
    EXPECT_EQ(out[2].text, "250.0");
    EXPECT_FALSE(out[8].present);

    // The attacks SPEC §5 names, on the same body.
    std::string duplicated(deposit_body);
    duplicated.insert(1, R"("amount":"0.01",)");
    expect_invalid(read(duplicated, deposit_fields, out), "duplicate_key", "amount");
    expect_invalid(read(std::string(deposit_body) + "{}", deposit_fields, out), "trailing_bytes",
                   "");
    std::string skipped(deposit_body);
    skipped.insert(1, R"("note":[1,2,},)");
    EXPECT_FALSE(read(skipped, deposit_fields, out).ok());
    std::string wrong_login(deposit_body);
    wrong_login.replace(wrong_login.find("2000009"), 7, "\"2000009\"");
    expect_invalid(read(wrong_login, deposit_fields, out), "wrong_type", "login");
}

TEST_F(JsonReaderTest, ReadingDoesNotAllocate) {
    // The counter does see simdjson's buffers, which are all taken at construction.
    const std::size_t before_construction = allocation_count.load();
    const JsonReader fresh(4096);
    EXPECT_GT(allocation_count.load(), before_construction);

    JsonValue out[std::size(deposit_fields)];
    std::string buffer(deposit_body);
    buffer.append(limits::json_padding_bytes, '\0');
    const std::string_view document(buffer.data(), deposit_body.size());
    ASSERT_TRUE(reader_.read_object(document, buffer.size(), deposit_fields, out).ok());

    std::string bad(R"({"login":1,"login":2} x)");
    bad.append(limits::json_padding_bytes, '\0');
    const std::string_view bad_document(bad.data(), bad.size() - limits::json_padding_bytes);

    const std::size_t before = allocation_count.load();
    for (int i = 0; i < 100; ++i) {
        const Status ok = reader_.read_object(document, buffer.size(), deposit_fields, out);
        const Status refused = reader_.read_object(bad_document, bad.size(), deposit_fields, out);
        if (!ok.ok() || refused.ok()) break;
    }
    const std::size_t after = allocation_count.load();
    EXPECT_EQ(after - before, 0U);
}

TEST(JsonReader, DocumentLargerThanTheReaderIsRefused) {
    JsonReader reader(32);
    constexpr JsonField fields[] = {{"s", JsonType::string}};
    JsonValue out[1];
    std::string buffer = R"({"s":"exactly thirty-two bytes"})";
    ASSERT_EQ(buffer.size(), 32U);
    buffer.append(limits::json_padding_bytes, '\0');
    ASSERT_TRUE(reader.read_object(std::string_view(buffer.data(), 32), buffer.size(), fields, out)
                        .ok());
    EXPECT_EQ(out[0].text, "exactly thirty-two bytes");

    std::string larger = R"({"s":"thirty-three bytes 1 over"})";
    ASSERT_EQ(larger.size(), 33U);
    larger.append(limits::json_padding_bytes, '\0');
    const Status status =
            reader.read_object(std::string_view(larger.data(), 33), larger.size(), fields, out);
    EXPECT_EQ(status.code(), StatusCode::invalid_data);
    EXPECT_EQ(status.detail(), "document_too_large");
    EXPECT_FALSE(out[0].present);
}

}  // namespace
}  // namespace cashierd::http
