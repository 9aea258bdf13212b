using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Messaging.Adapters.Integration.Transports.Kafka;

namespace Messaging.Adapters.Kafka.Tests.Interop;

/// <summary>
/// A third-party client on the same cluster: Debian's <c>kcat</c> (librdkafka's command-line client, installed by
/// eng/brokers/kafka.sh) reads what the adapter publishes with every CloudEvents header, and what kcat produces, with
/// CloudEvents headers or none at all, is handled by the adapter.
/// </summary>
public sealed class KcatInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task kcat_reads_a_published_message_with_every_CloudEvents_header()
    {
        await using var transport = NewTransport();
        var topic = NewName("kcat-read");
        var sent = new Envelope("order.placed", "{\"order\":1}"u8.ToArray()) { ContentType = "application/json", Key = "customer-7", CorrelationId = "corr-1" };
        await transport.Publisher.PublishAsync(topic, sent, Ct);

        var output = await KcatAsync(["-C", "-t", topic, "-e", "-J", "-o", "beginning"], stdin: null);
        var record = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(l => l.StartsWith('{'))).RootElement;
        var headers = Pairs(record.GetProperty("headers"));

        Assert.Equal("1.0", headers["ce_specversion"]);
        Assert.Equal(sent.Id, headers["ce_id"]);
        Assert.Equal("order.placed", headers["ce_type"]);
        Assert.StartsWith("/", headers["ce_source"], StringComparison.Ordinal);
        Assert.True(DateTimeOffset.TryParse(headers["ce_time"], System.Globalization.CultureInfo.InvariantCulture, out _), headers["ce_time"]);
        Assert.Equal("application/json", headers["content-type"]);
        Assert.Equal("corr-1", headers["ce_correlationid"]);
        Assert.Equal("customer-7", record.GetProperty("key").GetString());
        Assert.Equal("{\"order\":1}", record.GetProperty("payload").GetString());
    }

    [Fact]
    public async Task A_message_kcat_produces_with_CloudEvents_headers_is_handled_with_its_fields_mapped()
    {
        await using var transport = NewTransport();
        var queue = NewName("kcat-ce");
        await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        await KcatAsync(["-P", "-t", queue, "-k", "k-1", "-H", "ce_specversion=1.0", "-H", "ce_id=kcat-1", "-H", "ce_type=com.example.made", "-H", "ce_source=/kcat", "-H", "content-type=text/plain", "-H", "ce_correlationid=c-9", "-H", "tenant=acme"], stdin: "hello from kcat\n");

        var received = await ReceiveOneAsync(transport, queue);

        Assert.Equal("kcat-1", received.Envelope.Id);
        Assert.Equal("com.example.made", received.Envelope.Type);
        Assert.Equal("text/plain", received.Envelope.ContentType);
        Assert.Equal("k-1", received.Envelope.Key);
        Assert.Equal("c-9", received.Envelope.CorrelationId);
        Assert.Equal("acme", received.Envelope.Headers["tenant"]);
        Assert.Equal("hello from kcat", Encoding.UTF8.GetString(received.Envelope.Body.Span));
    }

    [Fact]
    public async Task A_foreign_message_without_any_CloudEvents_header_is_still_delivered()
    {
        await using var transport = NewTransport();
        var queue = NewName("kcat-foreign");
        await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        await KcatAsync(["-P", "-t", queue], stdin: "plain bytes\n");

        var received = await ReceiveOneAsync(transport, queue);

        Assert.Equal($"kafka:{queue}/{received.StreamPartition}/{received.StreamOffset}", received.Envelope.Id);
        Assert.Equal("kafka.message", received.Envelope.Type);
        Assert.Equal("plain bytes", Encoding.UTF8.GetString(received.Envelope.Body.Span));
    }

    private static KafkaTransport NewTransport() => new(new KafkaTransportOptions
    {
        BootstrapServers = KafkaTestCluster.Bootstrap(),
        ClientId = "kcat-interop",
        SessionTimeout = TimeSpan.FromSeconds(3),
    });

    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..28];

    private static async Task<ReceivedMessage> ReceiveOneAsync(KafkaTransport transport, string queue)
    {
        var received = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await transport.Queue.ConsumeAsync(queue, (message, _) =>
        {
            received.TrySetResult(message);
            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);
        return await received.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
    }

    private static Dictionary<string, string> Pairs(JsonElement headers)
    {
        var list = headers.EnumerateArray().Select(h => h.GetString() ?? "").ToList();
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < list.Count; i += 2)
        {
            pairs[list[i]] = list[i + 1];
        }

        return pairs;
    }

    /// <summary>Runs kcat against the test cluster; a missing kcat fails the test, naming how to get it.</summary>
    private static async Task<string> KcatAsync(IEnumerable<string> arguments, string? stdin)
    {
        var kcat = Environment.GetEnvironmentVariable("MESSAGING_KCAT") is { Length: > 0 } configured ? configured : "kcat";
        var start = new ProcessStartInfo(kcat) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add("-b");
        start.ArgumentList.Add(KafkaTestCluster.Bootstrap());
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"kcat is not installed ('{kcat}'): bash eng/brokers/kafka.sh installs Debian's kcat, or set MESSAGING_KCAT.", ex);
        }

        using (process)
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }

            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync(Ct);
            var error = process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.True(process.ExitCode == 0, $"kcat {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}: {await error}");
            return await output;
        }
    }
}
