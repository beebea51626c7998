-- busted --lua=dockerlua spec/volumes_spec.lua   (from the library's folder)
local volumes = require("ops.volumes")

-- What the specs create carries this label, so one call removes it all.
local RUN = os.getenv("SPEC_RUN") or ("spec-" .. os.time())
local labels = { ["dockerlua.test"] = RUN }

describe("ops.volumes", function()
  teardown(function()
    docker.containers.prune({ filters = { label = "dockerlua.test=" .. RUN } })
    docker.volumes.prune({ filters = { label = "dockerlua.test=" .. RUN } })
  end)

  it("creates a missing volume once", function()
    local name = RUN .. "-data"
    local volume, created = volumes.ensure(name, labels)
    assert.is_true(created)
    assert.are.equal(name, volume.name)
    local again, created_again = volumes.ensure(name, labels)
    assert.is_false(created_again)
    assert.are.equal(volume.name, again.name)
  end)

  it("lists the files a container wrote", function()
    local name = RUN .. "-files"
    volumes.ensure(name, labels)
    docker.containers.run("busybox", { "sh", "-c", "mkdir -p /v/a && echo x > /v/a/b.txt && echo y > /v/c" }, {
      volumes = { name .. ":/v" },
      labels = labels,
      remove = true,
    })
    assert.are.same({ "a/b.txt", "c" }, volumes.files(name, labels))
  end)

  it("refuses a name the engine refuses", function()
    assert.has_error(function()
      volumes.ensure("not a valid name!", labels)
    end)
  end)
end)
