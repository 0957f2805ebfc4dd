import { parseDemoArgs } from "../../../demo/args.js";

describe("npm run demo's options", () => {
  it.each([
    [[], { port: 8080, portGiven: false, clean: false, help: false, image: "kubenap:0.1.0" }],
    [["--port", "9000"], { port: 9000, portGiven: true }],
    [["--port=9001"], { port: 9001, portGiven: true }],
    [["--clean"], { clean: true }],
    [["--kubeconfig", "/tmp/k"], { kubeconfig: "/tmp/k" }],
    [["--kubeconfig=/tmp/k", "--image", "me/kubenap:1"], { kubeconfig: "/tmp/k", image: "me/kubenap:1" }],
    [["-h"], { help: true }],
  ])("%j → %j", (argv, want) => {
    expect(parseDemoArgs(argv)).toMatchObject(want);
  });

  it.each([
    [["--port", "0"], /--port must be a port number/],
    [["--port", "http"], /--port must be a port number/],
    [["--port"], /--port needs a value/],
    [["--kubeconfig", "--clean"], /--kubeconfig needs a value/],
    [["--frobnicate"], /unknown option "--frobnicate"/],
  ])("%j is refused with one line naming the problem", (argv, message) => {
    expect(() => parseDemoArgs(argv)).toThrow(message);
  });
});
