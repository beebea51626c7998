-- busted --lua=dockerlua-dry-run spec/dry_run_spec.lua   (docs/testing.md)
-- Under --dry-run the engine is read, never changed: each change is printed
-- on stderr and answered with a placeholder, so a spec checks which way the
-- library goes without creating anything.
local volumes = require("ops.volumes")

local RUN = os.getenv("SPEC_RUN") or ("spec-" .. os.time())

describe("ops.volumes under --dry-run", function()
  it("would create a missing volume", function()
    local name = RUN .. "-dry"
    local volume, created = volumes.ensure(name, { ["dockerlua.test"] = RUN })
    assert.is_true(created)
    assert.are.equal(name, volume.name)
  end)
end)
