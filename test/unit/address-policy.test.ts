// Pure functions only: nothing here opens a socket or resolves a name.
import { forbiddenLiteralHost, isForbiddenAddress, parseAllowedCidrs, type AddressPolicy } from "../../src/security/address-policy";

const strict: AddressPolicy = { allowPrivateNetwork: false, allowedCidrs: [] };
const open: AddressPolicy = { allowPrivateNetwork: true, allowedCidrs: [] };

describe("isForbiddenAddress with the default policy", () => {
  it.each([
    ["0.0.0.0", "this network 0/8"],
    ["0.1.2.3", "this network 0/8"],
    ["10.0.0.5", "private 10/8"],
    ["10.255.255.255", "private 10/8"],
    ["100.64.0.1", "shared address space 100.64/10"],
    ["100.127.255.254", "shared address space 100.64/10"],
    ["127.0.0.1", "loopback 127/8"],
    ["127.255.0.9", "loopback 127/8"],
    ["169.254.169.254", "link-local 169.254/16 (cloud metadata)"],
    ["172.16.0.1", "private 172.16/12"],
    ["172.31.255.254", "private 172.16/12"],
    ["192.0.0.8", "IETF protocol assignments 192.0.0/24"],
    ["192.168.1.1", "private 192.168/16"],
    ["198.18.0.1", "benchmarking 198.18/15"],
    ["198.19.255.1", "benchmarking 198.18/15"],
    ["192.0.2.10", "documentation 192.0.2/24"],
    ["198.51.100.7", "documentation 198.51.100/24"],
    ["203.0.113.9", "documentation 203.0.113/24"],
    ["224.0.0.1", "multicast 224/4"],
    ["239.255.255.250", "multicast 224/4"],
    ["240.0.0.1", "reserved 240/4"],
    ["255.255.255.255", "broadcast"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["fc00::1", "unique local fc00::/7"],
    ["fd12:3456:789a::1", "unique local fc00::/7"],
    ["fe80::1", "link-local fe80::/10"],
    ["fe80::1%eth0", "link-local with a zone id"],
    ["febf:ffff::1", "link-local fe80::/10, last block"],
    ["ff02::1", "multicast ff00::/8"],
    ["ff0e::101", "global multicast"],
    ["::ffff:127.0.0.1", "IPv4-mapped loopback, dotted"],
    ["::ffff:7f00:1", "IPv4-mapped loopback, hex"],
    ["::ffff:a9fe:a9fe", "IPv4-mapped metadata address"],
    ["::ffff:10.0.0.5", "IPv4-mapped private"],
    ["::ffff:0:7f00:1", "IPv4-translated loopback (RFC 6145)"],
    ["::7f00:1", "IPv4-compatible loopback"],
    ["::127.0.0.1", "IPv4-compatible loopback, dotted"],
    ["::a00:1", "IPv4-compatible private"],
    ["64:ff9b::a00:1", "NAT64 of 10.0.0.1"],
    ["64:ff9b::7f00:1", "NAT64 of 127.0.0.1"],
    ["64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254"],
    ["64:ff9b:1::a00:1", "local-use NAT64 of 10.0.0.1"],
    ["2002:7f00:1::", "6to4 of 127.0.0.1"],
    ["2002:a00:1::1", "6to4 of 10.0.0.1"],
    ["2002:a9fe:a9fe::", "6to4 of 169.254.169.254"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo 2001::/32"],
    ["2001:db8::1", "documentation 2001:db8::/32"],
    ["2001:db8:85a3::8a2e:370:7334", "documentation 2001:db8::/32"],
    ["2606:4700:1234::5efe:7f00:1", "ISATAP id embedding 127.0.0.1"],
    ["2606:4700:1234:0:200:5efe:a00:5", "ISATAP id (universal bit) embedding 10.0.0.5"],
    ["2606:4700:1234::5efe:a9fe:a9fe", "ISATAP id embedding 169.254.169.254"],
  ])("forbids %s (%s)", (ip) => {
    expect(isForbiddenAddress(ip, strict)).toBe(true);
  });

  it.each([
    ["93.184.216.34"],
    ["8.8.8.8"],
    ["1.1.1.1"],
    ["172.32.0.1"], // just above 172.16/12
    ["100.128.0.1"], // just above 100.64/10
    ["169.253.255.255"], // just below 169.254/16
    ["11.0.0.1"],
    ["223.255.255.254"], // just below 224/4
    ["2606:4700::1111"],
    ["2a00:1450:4001:81b::200e"],
    ["2606:4700:1234::5efe:808:808"], // ISATAP id embedding a public address
  ])("allows public %s", (ip) => {
    expect(isForbiddenAddress(ip, strict)).toBe(false);
  });

  it.each([["hook.test"], [""], ["127.1"], ["2130706433"], ["0x7f.0.0.1"], ["[::1]"], ["1.2.3.4.5"], ["::ffff:1.2.3.256"]])(
    "forbids %j, which is not an IP address in standard form, whatever the policy",
    (value) => {
      expect(isForbiddenAddress(value, strict)).toBe(true);
      expect(isForbiddenAddress(value, open)).toBe(true);
      expect(isForbiddenAddress(value, { allowPrivateNetwork: false, allowedCidrs: ["0.0.0.0/0", "::/0"] })).toBe(true);
    },
  );
});

describe("isForbiddenAddress escape hatches", () => {
  it("allowPrivateNetwork allows every forbidden range", () => {
    for (const ip of ["127.0.0.1", "10.0.0.5", "169.254.169.254", "0.0.0.0", "255.255.255.255", "::1", "::", "fd12::1", "fe80::1", "::ffff:127.0.0.1", "::7f00:1", "64:ff9b::a00:1", "2002:7f00:1::", "2606:4700:1234::5efe:7f00:1"]) {
      expect([ip, isForbiddenAddress(ip, open)]).toEqual([ip, false]);
    }
  });

  it("allowedCidrs allow exactly the addresses inside them", () => {
    const policy: AddressPolicy = { allowPrivateNetwork: false, allowedCidrs: ["10.1.2.0/24", "127.0.0.1", "fd00:1::/32"] };
    expect(isForbiddenAddress("10.1.2.3", policy)).toBe(false);
    expect(isForbiddenAddress("10.1.2.255", policy)).toBe(false);
    expect(isForbiddenAddress("10.1.3.1", policy)).toBe(true);
    expect(isForbiddenAddress("127.0.0.1", policy)).toBe(false);
    expect(isForbiddenAddress("127.0.0.2", policy)).toBe(true);
    expect(isForbiddenAddress("fd00:1:ffff::1", policy)).toBe(false);
    expect(isForbiddenAddress("fd00:2::1", policy)).toBe(true);
    expect(isForbiddenAddress("169.254.169.254", policy)).toBe(true);
    expect(isForbiddenAddress("::1", policy)).toBe(true);
  });

  it("an IPv4 range in allowedCidrs also covers the IPv4-mapped form, and only that form", () => {
    const policy: AddressPolicy = { allowPrivateNetwork: false, allowedCidrs: ["10.1.2.0/24"] };
    expect(isForbiddenAddress("::ffff:10.1.2.3", policy)).toBe(false);
    expect(isForbiddenAddress("::ffff:10.1.3.3", policy)).toBe(true);
    expect(isForbiddenAddress("64:ff9b::a01:203", policy)).toBe(true);
    expect(isForbiddenAddress("::a01:203", policy)).toBe(true);
  });

  it("parseAllowedCidrs rejects what is not a CIDR or an address, with a sentence", () => {
    expect(parseAllowedCidrs(["10.0.0.0/8", "fd00::/8", "192.168.1.10", "::1"]).map(([address, bits]) => `${address.toString()}/${bits}`)).toEqual([
      "10.0.0.0/8",
      "fd00::/8",
      "192.168.1.10/32",
      "::1/128",
    ]);
    for (const bad of ["10/8", "10.0.0.0/33", "fd00::/129", "10.0.0.0/8/8", "localhost", "", "10.0.0.0/-1", "10.0.0.0/ 8"]) {
      expect(() => parseAllowedCidrs([bad])).toThrow(new TypeError(`allowedCidrs: ${JSON.stringify(bad)} is not a CIDR or an IP address; write e.g. "10.1.2.0/24", "fd00::/8" or "192.168.1.10".`));
    }
  });
});

describe("forbiddenLiteralHost", () => {
  it.each([
    ["http://127.0.0.1:3000/hook"],
    ["http://10.0.0.5/"],
    ["https://169.254.169.254/latest/meta-data/"],
    ["http://0.0.0.0/"],
    ["http://0/"], // WHATWG: 0.0.0.0
    ["http://2130706433/"], // decimal 127.0.0.1
    ["http://0x7f.1/"], // hex and short form
    ["http://017700000001/"], // octal
    ["http://127.1/"],
    ["http://127.0.0.1./"],
    ["http://[::1]:8080/"],
    ["http://[0:0:0:0:0:0:0:1]/"],
    ["http://[::ffff:127.0.0.1]/"],
    ["http://[::7f00:1]/"],
    ["http://[fd12::1]/"],
    ["http://[64:ff9b::a9fe:a9fe]/"],
    ["http://localhost:3000/"],
    ["http://LOCALHOST./"],
    ["http://api.localhost/"],
  ])("is true for %s", (url) => {
    expect(forbiddenLiteralHost(new URL(url), strict)).toBe(true);
  });

  it.each([["https://example.com/hook"], ["http://93.184.216.34/"], ["http://[2606:4700::1111]/"], ["http://10.0.0.5.nip.io/"], ["http://localhost.example.com/"]])(
    "is false for %s (names are checked after DNS, on every attempt)",
    (url) => {
      expect(forbiddenLiteralHost(new URL(url), strict)).toBe(false);
    },
  );

  it("follows the escape hatches", () => {
    expect(forbiddenLiteralHost(new URL("http://127.0.0.1/"), open)).toBe(false);
    expect(forbiddenLiteralHost(new URL("http://[::1]/"), open)).toBe(false);
    expect(forbiddenLiteralHost(new URL("http://localhost/"), open)).toBe(false);
    const loopbackV4: AddressPolicy = { allowPrivateNetwork: false, allowedCidrs: ["127.0.0.0/8"] };
    expect(forbiddenLiteralHost(new URL("http://127.0.0.1/"), loopbackV4)).toBe(false);
    expect(forbiddenLiteralHost(new URL("http://[::1]/"), loopbackV4)).toBe(true);
    expect(forbiddenLiteralHost(new URL("http://localhost/"), loopbackV4)).toBe(false);
    expect(forbiddenLiteralHost(new URL("http://10.0.0.5/"), loopbackV4)).toBe(true);
  });
});
