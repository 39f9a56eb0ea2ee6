"""The committed samples must be what the generators produce today.

``etc/trove-lite/trove-lite.conf.sample`` and ``etc/trove-lite/policy.yaml.sample``
are documentation that operators copy from, so they must not drift from the
options and policy defaults in code. Each test runs the generator with the
committed generator config, writing into a temporary directory, and compares.

The generators run in a child interpreter so that their global state (the
options they register, the defaults hooks they call) stays out of this test
process.
"""

import os
import subprocess
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ETC = os.path.join(REPO_ROOT, 'etc', 'trove-lite')

SAMPLES = [
    pytest.param('oslo_config.generator', 'main',
                 'trove-lite-config-generator.conf',
                 'trove-lite.conf.sample', 'genconfig', id='config'),
    pytest.param('oslo_policy.generator', 'generate_sample',
                 'trove-lite-policy-generator.conf',
                 'policy.yaml.sample', 'genpolicy', id='policy'),
]


def _generate(module, function, generator_conf, output):
    code = ('import sys; from %s import %s as gen; sys.exit(gen(sys.argv[1:]))'
            % (module, function))
    result = subprocess.run(
        [sys.executable, '-c', code,
         '--config-file', os.path.join(ETC, generator_conf),
         '--output-file', str(output)],
        cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 0, (
        '%s failed (exit %d):\n%s'
        % (module, result.returncode, result.stderr))


@pytest.mark.parametrize('module,function,generator_conf,sample,tox_env',
                         SAMPLES)
def test_committed_sample_is_current(tmp_path, module, function,
                                     generator_conf, sample, tox_env):
    generated = tmp_path / sample
    _generate(module, function, generator_conf, generated)

    with open(os.path.join(ETC, sample)) as handle:
        committed = handle.read()
    assert generated.read_text() == committed, (
        'etc/trove-lite/%s is out of date with the code: run '
        '`tox -e %s` and commit the result.' % (sample, tox_env))
