package dcn4j.opencl;
import dcn4j.*;
import java.util.*;
public class Smoke {
  public static void main(String[] a) {
    try (Backend cl = Backends.open("opencl"); Backend ref = Backends.open("reference")) {
      Random r = new Random(1);
      int n=2,c=4,h=5,w=6,o=6,kh=3,kw=3;
      DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1,1).withGroups(2).withOffsetGroups(2);
      int ho = spec.outputHeight(h,kh), wo = spec.outputWidth(w,kw);
      float[] in = rnd(r, n*c*h*w), off = rnd(r, n*2*2*kh*kw*ho*wo), msk = rnd(r, n*2*kh*kw*ho*wo), wt = rnd(r, o*c/2*kh*kw), b = rnd(r, o), go = rnd(r, n*o*ho*wo);
      for (int i=0;i<off.length;i++) off[i]*=3;
      Tensor[] t1 = {cl.tensor(new int[]{n,c,h,w}, in), cl.tensor(new int[]{n,2*2*kh*kw,ho,wo}, off), cl.tensor(new int[]{n,2*kh*kw,ho,wo}, msk), cl.tensor(new int[]{o,c/2,kh,kw}, wt), cl.tensor(new int[]{o}, b), cl.tensor(new int[]{n,o,ho,wo}, go)};
      Tensor[] t2 = {ref.tensor(DType.F32,new int[]{n,c,h,w}, in), ref.tensor(DType.F32,new int[]{n,2*2*kh*kw,ho,wo}, off), ref.tensor(DType.F32,new int[]{n,2*kh*kw,ho,wo}, msk), ref.tensor(DType.F32,new int[]{o,c/2,kh,kw}, wt), ref.tensor(DType.F32,new int[]{o}, b), ref.tensor(DType.F32,new int[]{n,o,ho,wo}, go)};
      long t0=System.nanoTime();
      Tensor y1 = cl.deformConv2d(spec, t1[0], t1[1], t1[2], t1[3], t1[4]);
      System.out.println("first call ms " + (System.nanoTime()-t0)/1e6);
      Tensor y2 = ref.deformConv2d(spec, t2[0], t2[1], t2[2], t2[3], t2[4]);
      System.out.println("fwd err " + err(y1.toDoubleArray(), y2.toDoubleArray()));
      t0=System.nanoTime();
      var g1 = cl.deformConv2dBackward(spec, t1[5], t1[0], t1[1], t1[2], t1[3], t1[4], Gradient.all());
      System.out.println("first bwd ms " + (System.nanoTime()-t0)/1e6);
      var g2 = ref.deformConv2dBackward(spec, t2[5], t2[0], t2[1], t2[2], t2[3], t2[4], Gradient.all());
      for (Gradient gg : Gradient.values()) System.out.println(gg + " err " + err(g1.get(gg).toDoubleArray(), g2.get(gg).toDoubleArray()));
    }
  }
  static float[] rnd(Random r, int n) { float[] f = new float[n]; for (int i=0;i<n;i++) f[i]=(float)r.nextGaussian(); return f; }
  static double err(double[] a, double[] b) { double num=0, den=0; for (int i=0;i<a.length;i++){num+=(a[i]-b[i])*(a[i]-b[i]); den+=b[i]*b[i];} return Math.sqrt(num/Math.max(den,1e-300)); }
}
