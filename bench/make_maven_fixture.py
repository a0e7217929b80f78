#!/usr/bin/env python3
"""Writes the static Maven repository the Maven benchmark serves with nginx, and a project
that depends on it.

repo/org/larder/bench/lib-N/1.0/...   N libraries (jar + POM + .sha1/.md5), each with a parent
                                      POM, the last half depending on the first half by range
repo/.../larder-probe-maven-plugin/   a one-goal plugin compiled with javac, whose goal makes
                                      mvn resolve the project's dependencies
repo/org/codehaus/plexus/plexus-utils/1.1/  the stand-in Maven 3 adds to legacy plugins
project/pom.xml                       a project depending on every library
"""
import argparse, hashlib, io, os, subprocess, tempfile, zipfile

GROUP = "org.larder.bench"

def write(repo, path, data):
    full = os.path.join(repo, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(data)
    for name, algo in (("sha1", hashlib.sha1), ("md5", hashlib.md5)):
        with open(full + "." + name, "w") as f:
            f.write(algo(data).hexdigest())

def jar(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("META-INF/MANIFEST.MF", (1980, 1, 1, 0, 0, 0)), b"Manifest-Version: 1.0\n")
        for path, data in entries.items():
            z.writestr(zipfile.ZipInfo(path, (1980, 1, 1, 0, 0, 0)), data)
    return out.getvalue()

def pom(group, artifact, version, packaging="jar", parent=None, deps=()):
    xml = f'<?xml version="1.0"?>\n<project><modelVersion>4.0.0</modelVersion>\n'
    if parent:
        xml += f"<parent><groupId>{parent[0]}</groupId><artifactId>{parent[1]}</artifactId><version>{parent[2]}</version></parent>\n"
    xml += f"<groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{version}</version><packaging>{packaging}</packaging>\n"
    if deps:
        xml += "<dependencies>" + "".join(f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>" for g, a, v in deps) + "</dependencies>\n"
    return (xml + "</project>\n").encode()

def directory(group, artifact, version):
    return f"{group.replace('.', '/')}/{artifact}/{version}"

def publish(repo, group, artifact, version, pom_bytes, jar_bytes=None):
    d = directory(group, artifact, version)
    write(repo, f"{d}/{artifact}-{version}.pom", pom_bytes)
    if jar_bytes is not None:
        write(repo, f"{d}/{artifact}-{version}.jar", jar_bytes)
    metadata = (f"<metadata><groupId>{group}</groupId><artifactId>{artifact}</artifactId><versioning>"
                f"<latest>{version}</latest><release>{version}</release><versions><version>{version}</version></versions>"
                f"<lastUpdated>20260101000000</lastUpdated></versioning></metadata>\n").encode()
    write(repo, f"{group.replace('.', '/')}/{artifact}/maven-metadata.xml", metadata)

def probe_plugin(workdir):
    src = os.path.join(workdir, "src/larder/probe")
    classes = os.path.join(workdir, "classes")
    os.makedirs(src)
    os.makedirs(os.path.join(classes, "META-INF/maven"))
    with open(os.path.join(src, "ProbeMojo.java"), "w") as f:
        f.write("""package larder.probe;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.project.MavenProject;
public class ProbeMojo extends AbstractMojo {
    private MavenProject project;
    public void execute() { getLog().info("larder-resolved " + project.getArtifacts().size()); }
}
""")
    descriptor = f"""<plugin><name>larder-probe</name><groupId>{GROUP}</groupId><artifactId>larder-probe-maven-plugin</artifactId>
<version>1.0</version><goalPrefix>larder-probe</goalPrefix><isolatedRealm>false</isolatedRealm><inheritedByDefault>true</inheritedByDefault>
<mojos><mojo><goal>resolve</goal><requiresDependencyResolution>runtime</requiresDependencyResolution><requiresProject>true</requiresProject>
<implementation>larder.probe.ProbeMojo</implementation><language>java</language><instantiationStrategy>per-lookup</instantiationStrategy>
<executionStrategy>once-per-session</executionStrategy><threadSafe>true</threadSafe>
<parameters><parameter><name>project</name><type>org.apache.maven.project.MavenProject</type><required>true</required><editable>false</editable><description>p</description></parameter></parameters>
<configuration><project implementation="org.apache.maven.project.MavenProject" default-value="${{project}}"/></configuration>
</mojo></mojos><dependencies/></plugin>
"""
    with open(os.path.join(classes, "META-INF/maven/plugin.xml"), "w") as f:
        f.write(descriptor)
    lib = "/usr/share/maven/lib"
    cp = ":".join(os.path.join(lib, n) for n in sorted(os.listdir(lib)) if n.endswith(".jar"))
    subprocess.run(["javac", "-nowarn", "-d", classes, "-cp", cp, os.path.join(src, "ProbeMojo.java")], check=True)
    with open(os.path.join(classes, "larder/probe/ProbeMojo.class"), "rb") as f:
        mojo = f.read()
    return jar({"META-INF/maven/plugin.xml": descriptor.encode(), "larder/probe/ProbeMojo.class": mojo})

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--libraries", type=int, default=60)
    p.add_argument("--jar-kib", type=int, default=64)
    a = p.parse_args()
    repo = os.path.join(a.out, "repo")
    publish(repo, GROUP, "bench-parent", "1.0", pom(GROUP, "bench-parent", "1.0", "pom"))
    half = a.libraries // 2
    names = []
    for i in range(a.libraries):
        name = f"lib-{i:03d}"
        names.append(name)
        deps = [(GROUP, f"lib-{i - half:03d}", "[1.0,2.0)")] if i >= half else []
        body = jar({f"bench/{name}/data.bin": os.urandom(a.jar_kib * 1024)})
        publish(repo, GROUP, name, "1.0", pom(GROUP, name, "1.0", parent=(GROUP, "bench-parent", "1.0"), deps=deps), body)
    with tempfile.TemporaryDirectory() as work:
        plugin = probe_plugin(work)
    publish(repo, GROUP, "larder-probe-maven-plugin", "1.0", pom(GROUP, "larder-probe-maven-plugin", "1.0", "maven-plugin"), plugin)
    publish(repo, "org.codehaus.plexus", "plexus-utils", "1.1", pom("org.codehaus.plexus", "plexus-utils", "1.1"), jar({"stand-in.txt": b"x"}))
    os.makedirs(os.path.join(a.out, "project"), exist_ok=True)
    with open(os.path.join(a.out, "project/pom.xml"), "wb") as f:
        f.write(pom(GROUP, "bench-app", "1.0", deps=[(GROUP, n, "1.0") for n in names]))

if __name__ == "__main__":
    main()
