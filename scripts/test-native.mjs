console.log("native tests: not yet");
